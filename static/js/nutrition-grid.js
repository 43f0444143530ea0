// Q-Info: the weight and height grid of a classroom for a round. Without this file the page is a
// plain form ("บันทึกทั้งหมด"). With it: arrow keys and Enter move between cells, a block pasted
// from Excel (tab-separated weight, height) fills the cells from the one focused, and a row is
// saved when the cursor leaves it with both figures filled. Unsent rows wait in localStorage, so
// a reload or a dropped network loses nothing; each row carries its version, so a change made
// meanwhile by someone else is shown, not overwritten. A figure the server questions (a height of
// 3.5 cm, a height that fell since the last round) shows the Thai question with "ยืนยัน", and the
// row is saved only once the teacher confirms.
(function () {
  "use strict";
  var form = document.querySelector("[data-nutrition-grid]");
  if (!form || form.hasAttribute("data-readonly")) return;
  var KEY = form.getAttribute("data-store-key");
  var state = document.getElementById("save-state");
  var rows = {};
  Array.prototype.forEach.call(form.querySelectorAll("tr.nrow"), function (row) {
    rows[row.getAttribute("data-student")] = row;
  });
  var cells = Array.prototype.slice.call(form.querySelectorAll("tr.nrow input[data-field]"));
  var sending = false;

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) return meta.content;
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "{}"); } catch (e) { return {}; }
  }
  function store(queue) {
    try { localStorage.setItem(KEY, JSON.stringify(queue)); } catch (e) { /* private mode: keep in memory */ }
  }
  function say(text, kind) {
    if (!state) return;
    state.textContent = text;
    state.className = "save-state " + (kind || "");
  }
  function msgRow(code) { return form.querySelector('tr.nmsg[data-for="' + code + '"]'); }
  function input(row, field) { return row.querySelector('input[data-field="' + field + '"]'); }

  function showError(code, text) {
    var msg = msgRow(code);
    if (msg) msg.querySelector("[data-error]").textContent = text || "";
  }
  function showQuestions(code, questions) {
    var box = msgRow(code).querySelector("[data-questions]");
    box.textContent = "";
    questions.forEach(function (q) {
      var line = document.createElement("div");
      line.className = "question";
      line.setAttribute("data-question", q.code);
      var text = document.createElement("span");
      text.textContent = q.message;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn secondary";
      button.textContent = "ยืนยัน";
      button.setAttribute("data-confirm", q.code);
      line.appendChild(text);
      line.appendChild(button);
      box.appendChild(line);
    });
  }
  function showSaved(row, body) {
    row.setAttribute("data-version", body.version);
    row.querySelector("[data-version-input]").value = body.version;
    row.querySelector("[data-bmi]").textContent = body.bmi || "";
    var byIndicator = {};
    (body.statuses || []).forEach(function (s) { byIndicator[s.indicator] = s; });
    [["wfh", "[data-wfh]"], ["hfa", "[data-hfa]"]].forEach(function (pair) {
      var badge = row.querySelector(pair[1]);
      var s = byIndicator[pair[0]] || {};
      // No weight-for-height for the child's age: the page leads with BMI-for-age instead.
      if (pair[0] === "wfh" && !s.code) s = byIndicator.bfa || {};
      badge.textContent = s.label || "";
      badge.className = "nbadge " + (s.code || "");
    });
    row.querySelector("[data-reference]").textContent = body.reference || "";
    msgRow(row.getAttribute("data-student")).querySelector("[data-questions]").textContent = "";
    ["weight_kg", "height_cm"].forEach(function (f) { input(row, f).classList.remove("pending", "invalid"); });
  }

  function pendingCount() { return Object.keys(load()).length; }

  function send() {
    if (sending) return;
    var queue = load();
    var codes = Object.keys(queue).filter(function (c) { return !queue[c].held; });
    if (!codes.length) {
      var held = pendingCount();
      say(held ? "รอการยืนยัน " + held + " คน" : "บันทึกแล้ว", held ? "failed" : "saved");
      return;
    }
    var code = codes[0];
    var item = queue[code];
    var row = rows[code];
    if (!row) { delete queue[code]; store(queue); send(); return; }
    sending = true;
    say("กำลังบันทึก…", "saving");
    fetch(row.getAttribute("data-url"), {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({
        weight_kg: item.weight_kg, height_cm: item.height_cm, version: item.version, confirm: item.confirm || [],
      }),
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; },
        function () { return { status: response.status, body: {} }; });
    }).then(function (result) {
      sending = false;
      var queue = load();
      var current = queue[code];
      var same = current && current.weight_kg === item.weight_kg && current.height_cm === item.height_cm;
      if (result.status === 200) {
        if (same) delete queue[code];
        else if (current) current.version = result.body.version;
        store(queue);
        showError(code, "");
        showSaved(row, result.body);
      } else if (result.status === 400 && result.body.questions) {
        if (current) { current.held = true; store(queue); }
        showError(code, "");
        showQuestions(code, result.body.questions);
      } else if (result.status === 409) {
        var now = result.body.current;
        if (current) { current.held = true; current.conflict = now ? now.version : 0; store(queue); }
        showError(code, (result.body.detail || "มีผู้อื่นบันทึกก่อน") +
          (now ? " (ค่าล่าสุด " + now.weight_kg + " กก. " + now.height_cm + " ซม.) แก้ค่าแล้วออกจากช่องเพื่อบันทึกทับ" : ""));
        if (current) current.version = now ? now.version : 0;
        store(queue);
        row.setAttribute("data-version", now ? now.version : 0);
      } else if (result.status === 400 || result.status === 404 || result.status === 403) {
        delete queue[code];
        store(queue);
        var body = result.body || {};
        var text = body.detail || Object.keys(body).map(function (k) { return [].concat(body[k]).join(" "); }).join(" ");
        showError(code, text || "บันทึกไม่สำเร็จ");
        input(row, "weight_kg").classList.add("invalid");
      } else {
        say("ยังส่งไม่ได้ จะลองใหม่อัตโนมัติ", "failed");
        setTimeout(send, 5000);
        return;
      }
      send();
    }, function () {
      sending = false;
      say("ออฟไลน์: เก็บไว้ในเครื่อง " + pendingCount() + " คน จะส่งเมื่อกลับมาออนไลน์", "failed");
      setTimeout(send, 5000);
    });
  }

  function queueRow(row, confirm) {
    var code = row.getAttribute("data-student");
    var weight = input(row, "weight_kg").value.trim();
    var height = input(row, "height_cm").value.trim();
    if (!weight || !height) return;
    var queue = load();
    var previous = queue[code];
    if (!confirm && previous && previous.weight_kg === weight && previous.height_cm === height) {
      if (previous.held && previous.conflict === undefined) return; // still waiting for "ยืนยัน"
    }
    var item = {
      weight_kg: weight,
      height_cm: height,
      version: parseInt(row.getAttribute("data-version"), 10) || 0,
      confirm: confirm || [],
    };
    queue[code] = item;
    store(queue);
    input(row, "weight_kg").classList.add("pending");
    input(row, "height_cm").classList.add("pending");
    send();
  }

  // Restore what a reload interrupted: typed figures come back into their cells and are sent.
  (function restore() {
    var queue = load();
    Object.keys(queue).forEach(function (code) {
      var row = rows[code];
      if (!row) return;
      input(row, "weight_kg").value = queue[code].weight_kg;
      input(row, "height_cm").value = queue[code].height_cm;
      if (queue[code].held && queue[code].conflict === undefined) queue[code].held = false; // ask again
    });
    store(queue);
    send();
  })();

  form.addEventListener("change", function (event) {
    var row = event.target.closest("tr.nrow");
    if (row && event.target.matches("input[data-field]")) queueRow(row);
  });
  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (!button) return;
    var code = button.closest("tr.nmsg").getAttribute("data-for");
    var codes = Array.prototype.map.call(
      button.closest("[data-questions]").querySelectorAll("[data-confirm]"),
      function (b) { return b.getAttribute("data-confirm"); });
    queueRow(rows[code], codes);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    Object.keys(rows).forEach(function (code) { queueRow(rows[code]); });
  });
  form.addEventListener("keydown", function (event) {
    var index = cells.indexOf(event.target);
    if (index < 0) return;
    var step = { ArrowDown: 2, Enter: 2, ArrowUp: -2 }[event.key];
    if (event.key === "ArrowRight" && event.target.selectionStart === event.target.value.length) step = 1;
    if (event.key === "ArrowLeft" && event.target.selectionStart === 0) step = -1;
    if (!step) return;
    var next = cells[index + step];
    if (next) { event.preventDefault(); next.focus(); next.select(); }
  });
  form.addEventListener("paste", function (event) {
    var index = cells.indexOf(event.target);
    var text = (event.clipboardData || window.clipboardData).getData("text");
    if (index < 0 || (text.indexOf("\t") < 0 && text.indexOf("\n") < 0)) return;
    event.preventDefault();
    var touched = [];
    var column = index % 2;
    text.replace(/\r/g, "").replace(/\n$/, "").split("\n").forEach(function (line, r) {
      line.split("\t").forEach(function (value, c) {
        if (column + c > 1) return;
        var cell = cells[index - column + (r * 2) + column + c];
        if (!cell) return;
        cell.value = value.trim();
        var row = cell.closest("tr.nrow");
        if (touched.indexOf(row) < 0) touched.push(row);
      });
    });
    touched.forEach(function (row) { queueRow(row); });
  });
  window.addEventListener("online", send);
})();
