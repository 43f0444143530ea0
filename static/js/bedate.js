// A Buddhist-Era date picker for inputs marked data-bedate. The input stays a plain text
// field holding dd/mm/BBBB, so typing works without the picker and the server parses it.
(function () {
  "use strict";
  var MONTHS = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
    "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"];
  var DAYS = ["จ", "อ", "พ", "พฤ", "ศ", "ส", "อา"];
  var BE = 543;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function parse(value) {
    var m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec((value || "").trim());
    if (!m) return null;
    var year = parseInt(m[3], 10) - BE;
    var d = new Date(year, parseInt(m[2], 10) - 1, parseInt(m[1], 10));
    return isNaN(d.getTime()) ? null : d;
  }
  function format(d) { return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + "/" + (d.getFullYear() + BE); }

  function attach(input) {
    if (input.dataset.bedateReady) return;
    input.dataset.bedateReady = "1";
    var wrap = document.createElement("span");
    wrap.className = "bedate-wrap";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var pop = null;
    var shown = null;

    function close() { if (pop) { pop.remove(); pop = null; } }
    function render() {
      var year = shown.getFullYear(), month = shown.getMonth();
      var first = new Date(year, month, 1);
      var offset = (first.getDay() + 6) % 7;
      var daysIn = new Date(year, month + 1, 0).getDate();
      var today = new Date();
      var html = '<header><button type="button" class="btn small secondary" data-step="-1" aria-label="เดือนก่อน">‹</button>' +
        '<select data-month aria-label="เดือน">' + MONTHS.map(function (name, i) {
          return '<option value="' + i + '"' + (i === month ? " selected" : "") + ">" + name + "</option>";
        }).join("") + '</select><input type="number" data-year aria-label="ปี พ.ศ." value="' + (year + BE) +
        '" style="width:5.5rem;padding:.2rem"><button type="button" class="btn small secondary" data-step="1" aria-label="เดือนถัดไป">›</button></header>';
      html += "<table><thead><tr>" + DAYS.map(function (d) { return "<th>" + d + "</th>"; }).join("") + "</tr></thead><tbody><tr>";
      for (var i = 0; i < offset; i++) html += "<td></td>";
      for (var day = 1; day <= daysIn; day++) {
        var isToday = today.getFullYear() === year && today.getMonth() === month && today.getDate() === day;
        html += '<td><button type="button" data-day="' + day + '"' + (isToday ? ' class="today"' : "") + ">" + day + "</button></td>";
        if ((offset + day) % 7 === 0 && day !== daysIn) html += "</tr><tr>";
      }
      pop.innerHTML = html + "</tr></tbody></table>";
    }
    function open() {
      close();
      shown = parse(input.value) || new Date();
      shown = new Date(shown.getFullYear(), shown.getMonth(), 1);
      pop = document.createElement("div");
      pop.className = "bedate-pop";
      pop.setAttribute("role", "dialog");
      wrap.appendChild(pop);
      render();
      // Keep focus in the input when a day or arrow is clicked; selects still take focus.
      pop.addEventListener("mousedown", function (e) { if (e.target.tagName === "BUTTON") e.preventDefault(); });
      pop.addEventListener("click", function (e) {
        var t = e.target;
        if (t.dataset.step) { shown = new Date(shown.getFullYear(), shown.getMonth() + parseInt(t.dataset.step, 10), 1); render(); }
        if (t.dataset.day) {
          input.value = format(new Date(shown.getFullYear(), shown.getMonth(), parseInt(t.dataset.day, 10)));
          input.dispatchEvent(new Event("change", { bubbles: true }));
          close();
        }
      });
      pop.addEventListener("change", function (e) {
        var t = e.target;
        if (t.dataset.month !== undefined) shown = new Date(shown.getFullYear(), parseInt(t.value, 10), 1);
        if (t.dataset.year !== undefined) {
          var y = parseInt(t.value, 10);
          if (y > 2400) shown = new Date(y - BE, shown.getMonth(), 1);
        }
        render();
      });
    }
    input.addEventListener("focus", function () { if (!pop) open(); });
    wrap.addEventListener("focusout", function () {
      setTimeout(function () { if (!wrap.contains(document.activeElement)) close(); }, 150);
    });
    input.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  }

  function scan(root) { (root || document).querySelectorAll("input[data-bedate]").forEach(attach); }
  document.addEventListener("DOMContentLoaded", function () { scan(); });
  document.addEventListener("htmx:afterSwap", function (e) { scan(e.target); });
})();
