// A Buddhist-Era date picker for inputs marked data-bedate. The input stays a plain text
// field holding dd/mm/BBBB, so typing works without the picker and the server parses it.
(function () {
  "use strict";
  var MONTHS = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
    "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"];
  var DAYS = ["จ", "อ", "พ", "พฤ", "ศ", "ส", "อา"];
  var BE = 543;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // Where the calendar opens for what is typed. A year below 2400 is a CE year typed by
  // mistake (16/05/2013): open at the BE year meant (2556). The input keeps what was typed;
  // the server still refuses a CE year with a Thai message.
  function parse(value) {
    var m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec((value || "").trim());
    if (!m) return null;
    var typed = parseInt(m[3], 10);
    var year = typed < 2400 ? typed : typed - BE;
    var d = new Date(year, parseInt(m[2], 10) - 1, parseInt(m[1], 10));
    return isNaN(d.getTime()) ? null : d;
  }
  // "Today" is the school's date (Asia/Bangkok, from the server), not the device's: a phone set
  // to another time zone, or a wrong clock, must not mark the wrong day.
  function schoolToday() {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec((document.body && document.body.dataset.today) || "");
    return m ? new Date(+m[1], +m[2] - 1, +m[3]) : new Date();
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
    // The header (month select, year input, arrows) is built once per opening and only its
    // values change afterwards: replacing the focused select or input would blur it, and the
    // focusout handler would close the popup before a day could be picked.
    function build() {
      var html = '<header><button type="button" class="btn small secondary" data-step="-1" aria-label="เดือนก่อน">‹</button>' +
        '<select data-month aria-label="เดือน">' + MONTHS.map(function (name, i) {
          return '<option value="' + i + '">' + name + "</option>";
        }).join("") + '</select><input type="number" data-year aria-label="ปี พ.ศ." style="width:5.5rem;padding:.2rem">' +
        '<button type="button" class="btn small secondary" data-step="1" aria-label="เดือนถัดไป">›</button></header>';
      html += "<table><thead><tr>" + DAYS.map(function (d) { return "<th>" + d + "</th>"; }).join("") + "</tr></thead><tbody></tbody></table>";
      pop.innerHTML = html;
    }
    function render() {
      var year = shown.getFullYear(), month = shown.getMonth();
      var first = new Date(year, month, 1);
      var offset = (first.getDay() + 6) % 7;
      var daysIn = new Date(year, month + 1, 0).getDate();
      var today = schoolToday();
      pop.querySelector("[data-month]").value = String(month);
      var yearInput = pop.querySelector("[data-year]");
      if (yearInput.value !== String(year + BE)) yearInput.value = year + BE;
      var html = "<tr>";
      for (var i = 0; i < offset; i++) html += "<td></td>";
      for (var day = 1; day <= daysIn; day++) {
        var isToday = today.getFullYear() === year && today.getMonth() === month && today.getDate() === day;
        html += '<td><button type="button" data-day="' + day + '"' + (isToday ? ' class="today"' : "") + ">" + day + "</button></td>";
        if ((offset + day) % 7 === 0 && day !== daysIn) html += "</tr><tr>";
      }
      pop.querySelector("tbody").innerHTML = html + "</tr>";
    }
    function open() {
      close();
      shown = parse(input.value) || schoolToday();
      shown = new Date(shown.getFullYear(), shown.getMonth(), 1);
      pop = document.createElement("div");
      pop.className = "bedate-pop";
      pop.setAttribute("role", "dialog");
      wrap.appendChild(pop);
      build();
      render();
      // Keep focus where it is when a day, an arrow or the popup's background is clicked;
      // only the month select and the year input take focus.
      pop.addEventListener("mousedown", function (e) {
        if (e.target.tagName !== "SELECT" && e.target.tagName !== "INPUT" && e.target.tagName !== "OPTION") e.preventDefault();
      });
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
    wrap.addEventListener("focusout", function (e) {
      if (e.relatedTarget && wrap.contains(e.relatedTarget)) return;  // moving within the picker
      setTimeout(function () { if (!wrap.contains(document.activeElement)) close(); }, 150);
    });
    input.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  }

  function scan(root) { (root || document).querySelectorAll("input[data-bedate]").forEach(attach); }
  document.addEventListener("DOMContentLoaded", function () { scan(); });
  document.addEventListener("htmx:afterSwap", function (e) { scan(e.target); });
})();
