// Q-Info grade grid: spreadsheet keys, paste from Excel/Google Sheets, and a save queue.
//
// Every listener is on the table (event delegation), none per cell, so 50 students × 12
// components cost nothing to wire up. A cell is saved when it is left: it joins a queue
// that sends at most one request per cell at a time (a newer value waits for the answer to
// the older one, then goes with the new version), groups several ready cells into one
// small block request, retries with backoff when the network drops, and keeps every unsaved
// value in localStorage so that a reload (or a crash) re-sends it. The server decides what
// is valid; the same rules run here first only so that a mistake is shown before leaving.
(function () {
  "use strict";

  var wrap = document.getElementById("gg");
  if (!wrap || wrap.getAttribute("data-writable") !== "1") return;
  var table = document.getElementById("grade-grid");
  var tbody = table.tBodies[0];
  var API = wrap.getAttribute("data-api");
  var STORE = "qinfo-grid:" + wrap.getAttribute("data-section") + ":" + wrap.getAttribute("data-user");
  var FIRST = 2; // cells before the first score: number, name
  var BLOCK = 25; // cells per block request (small units: a big matrix post is fragile)
  var PARALLEL = 3;
  var TIMEOUT = 15000;
  var MAX_DELAY = 30000;

  var items = Array.prototype.map.call(table.querySelectorAll("thead th[data-item]"), function (th) {
    return {
      code: th.getAttribute("data-item"),
      max: parseFloat(th.getAttribute("data-max")),
      maxText: th.getAttribute("data-max"),
      name: th.querySelector(".gg-iname").textContent.trim(),
    };
  });
  var rows = Array.prototype.slice.call(tbody.rows);
  var students = rows.map(function (tr) {
    return { code: tr.getAttribute("data-student"), name: tr.querySelector(".gg-sname").textContent.trim() };
  });
  var rowOf = new Map(students.map(function (s, i) { return [s.code, i]; }));
  var colOf = new Map(items.map(function (it, j) { return [it.code, j]; }));

  var statusEl = document.getElementById("gg-status");
  var activeEl = document.getElementById("gg-active");
  var conflictDialog = document.getElementById("gg-conflict");
  var historyDialog = document.getElementById("gg-history");
  var note = document.createElement("div");
  note.className = "gg-note muted";
  note.id = "gg-note";
  note.setAttribute("aria-live", "polite");
  document.getElementById("gg-bar").insertAdjacentElement("afterend", note);
  var tip = document.createElement("div");
  tip.className = "gg-tip";
  tip.id = "gg-tip";
  tip.setAttribute("role", "alert");
  tip.hidden = true;
  wrap.appendChild(tip);

  // --- Cells ------------------------------------------------------------------------------

  function inputAt(r, c) {
    var tr = rows[r];
    var td = tr && c >= 0 && c < items.length ? tr.cells[FIRST + c] : null;
    return td ? td.firstElementChild : null;
  }
  function posOf(input) {
    var td = input.parentElement;
    return { r: td.parentElement.sectionRowIndex, c: td.cellIndex - FIRST };
  }
  function keyOf(r, c) { return items[c].code + ":" + students[r].code; }
  function isCell(el) { return el && el.classList && el.classList.contains("gg-in"); }
  function setState(input, state) {
    var td = input.parentElement;
    td.classList.remove("s-queued", "s-saving", "s-saved", "s-error", "s-conflict");
    if (state) td.classList.add("s-" + state);
    td.setAttribute("data-state", state || "");
  }

  // --- What may be typed (mirrors academics/assessment_services.parse_cell) ----------------

  var THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙";
  var MARKS = { "ร": "ร", r: "ร", "มส": "มส", ms: "มส", "ม.ส.": "มส", "ม.ส": "มส" };
  var NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
  var NEGATIVE = /^[-−–]\s*(?:\d+(?:\.\d*)?|\.\d+)$/;

  function normalise(raw) {
    var text = String(raw).replace(/[๐-๙]/g, function (d) { return String(THAI_DIGITS.indexOf(d)); });
    text = text.replace(/\u00a0/g, " ").trim();
    if (text.indexOf(",") >= 0 && text.indexOf(".") < 0 && text.split(",").length === 2) text = text.replace(",", ".");
    return text;
  }
  function problem(raw, r, c) {
    var text = normalise(raw);
    if (!text || MARKS[text.toLowerCase()]) return "";
    var item = items[c];
    var who = "“" + item.name + "” ของ " + students[r].name;
    if (NEGATIVE.test(text)) return "คะแนน" + who + " ต้องไม่ติดลบ (กรอก " + raw + ") คะแนนเต็ม " + item.maxText;
    if (!NUMBER.test(text)) return "“" + raw + "” ไม่ใช่คะแนน: ช่อง" + who + " รับตัวเลข 0–" + item.maxText + " หรือ ร / มส";
    var fraction = (text.split(".")[1] || "").replace(/0+$/, "");
    if (fraction.length > 2) return "คะแนน" + who + " มีทศนิยมได้ไม่เกิน 2 ตำแหน่ง (กรอก " + raw + ")";
    if (parseFloat(text) > item.max) return "คะแนน" + who + " ต้องไม่เกิน " + item.maxText + " คะแนน (กรอก " + raw + ")";
    return "";
  }

  // --- Errors shown in place ----------------------------------------------------------------

  var invalid = new Set();

  function showTip(input, message) {
    var td = input.parentElement;
    var box = wrap.getBoundingClientRect();
    var rect = td.getBoundingClientRect();
    tip.textContent = message;
    tip.hidden = false;
    tip.style.top = rect.bottom - box.top + wrap.scrollTop + 6 + "px";
    tip.style.left = Math.max(0, rect.left - box.left + wrap.scrollLeft - 8) + "px";
    input.setAttribute("aria-describedby", "gg-tip");
    input.setAttribute("aria-invalid", "true");
  }
  function hideTip() {
    tip.hidden = true;
  }
  function markError(input, message) {
    var pos = posOf(input);
    invalid.add(keyOf(pos.r, pos.c));
    input.setAttribute("data-error", message);
    input.setAttribute("aria-invalid", "true");
    setState(input, "error");
    if (document.activeElement === input) showTip(input, message);
    render();
  }
  function clearError(input) {
    var pos = posOf(input);
    if (!invalid.delete(keyOf(pos.r, pos.c)) && !input.hasAttribute("data-error")) return;
    input.removeAttribute("data-error");
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
    setState(input, queue.has(keyOf(pos.r, pos.c)) ? "queued" : "");
    hideTip();
    render();
  }

  // --- The save queue -------------------------------------------------------------------------

  var queue = new Map(); // "item:student" -> {item, student, raw, base, tries, next, inflight, held, single}
  var conflicts = [];
  var inflight = 0;
  var timer = null;
  var trouble = ""; // "", "network" or "auth"

  function persist() {
    try {
      if (!queue.size) return localStorage.removeItem(STORE);
      var out = {};
      queue.forEach(function (e, key) { out[key] = { item: e.item, student: e.student, raw: e.raw, base: e.base }; });
      localStorage.setItem(STORE, JSON.stringify(out));
    } catch (err) {
      // Private browsing or a full store: the queue still works for this page.
    }
  }
  function entryInput(e) {
    return inputAt(rowOf.get(e.student), colOf.get(e.item));
  }
  function enqueue(r, c, raw, opts) {
    var key = keyOf(r, c);
    var input = inputAt(r, c);
    var e = queue.get(key);
    if (!e) {
      e = { item: items[c].code, student: students[r].code, raw: raw, base: parseInt(input.getAttribute("data-v"), 10) || 0,
            tries: 0, next: 0, inflight: false, held: false, single: false };
      queue.set(key, e);
    } else {
      e.raw = raw;
      e.next = 0;
    }
    if (!e.inflight) setState(input, "queued");
    persist();
    if (!(opts && opts.later)) { render(); schedule(0); }
  }
  function schedule(ms) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(pump, ms);
  }
  function pump() {
    timer = null;
    var now = Date.now();
    var wait = Infinity;
    var ready = [];
    queue.forEach(function (e) {
      if (e.inflight || e.held) return;
      if (e.next > now) { wait = Math.min(wait, e.next - now); return; }
      ready.push(e);
    });
    while (inflight < PARALLEL && ready.length) {
      if (ready[0].single || ready.length === 1) { sendOne(ready.shift()); continue; }
      var batch = [];
      for (var i = 0; i < ready.length && batch.length < BLOCK;) {
        if (ready[i].single) i++;
        else batch.push(ready.splice(i, 1)[0]);
      }
      sendBlock(batch);
    }
    if (wait !== Infinity) schedule(wait);
  }
  function backoff(e) {
    e.tries += 1;
    var delay = Math.min(MAX_DELAY, 1000 * Math.pow(2, e.tries - 1));
    e.next = Date.now() + delay * (0.75 + Math.random() * 0.5);
  }

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  function request(method, url, data) {
    var controller = new AbortController();
    var timeout = setTimeout(function () { controller.abort(); }, TIMEOUT);
    return fetch(url, {
      method: method,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
      body: data === undefined ? undefined : JSON.stringify(data),
      credentials: "same-origin",
      signal: controller.signal,
    })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (body) { return { status: res.status, body: body }; });
      })
      .catch(function () { return { status: 0, body: {} }; })
      .finally(function () { clearTimeout(timeout); });
  }
  function firstError(body) {
    if (!body) return "บันทึกไม่สำเร็จ";
    var errors = body.errors || {};
    var keys = Object.keys(errors);
    for (var i = 0; i < keys.length; i++) {
      var value = errors[keys[i]];
      if (value && value.length) return Array.isArray(value) ? String(value[0]) : String(value);
    }
    return body.detail || "บันทึกไม่สำเร็จ";
  }

  function sendOne(e) {
    var sent = e.raw;
    var input = entryInput(e);
    e.inflight = true;
    inflight += 1;
    setState(input, "saving");
    request("PUT", API + "scores/" + e.item + "/" + e.student + "/", { value: sent, expected_version: e.base })
      .then(function (res) {
        if (res.status === 200) return saved(e, sent, res.body.cell, res.body.row);
        if (res.status === 409) return conflict(e, res.body);
        if (res.status === 400 || res.status === 404) return refused(e, res.status === 404 ? "ไม่พบช่องนี้แล้ว (รายการอาจถูกลบ) กรุณาโหลดหน้าใหม่" : firstError(res.body));
        return failed([e], res.status);
      })
      .finally(function () {
        e.inflight = false;
        inflight -= 1;
        render();
        schedule(0);
      });
  }
  function sendBlock(batch) {
    var sent = batch.map(function (e) { return e.raw; });
    batch.forEach(function (e) { e.inflight = true; setState(entryInput(e), "saving"); });
    inflight += 1;
    var cells = batch.map(function (e) { return { item: e.item, student: e.student, value: e.raw, expected_version: e.base }; });
    request("POST", API + "score-blocks/", { cells: cells })
      .then(function (res) {
        if (res.status === 200) {
          var byKey = new Map();
          res.body.cells.forEach(function (x) { byKey.set(x.cell.item + ":" + x.cell.student, x.cell); });
          batch.forEach(function (e, i) {
            var cell = byKey.get(e.item + ":" + e.student);
            if (cell) saved(e, sent[i], cell, null);
          });
          res.body.rows.forEach(updateRow);
          return;
        }
        if (res.status === 400) {
          var errors = (res.body && res.body.errors) || {};
          batch.forEach(function (e) {
            var message = errors[e.item + ":" + e.student];
            if (message) refused(e, String(message[0] || message));
            else { e.single = true; e.next = 0; }
          });
          return;
        }
        if (res.status === 409 || res.status === 404) {
          // Someone else changed one of these cells: send them one by one, so each conflict
          // gets its own choice and the others are saved.
          batch.forEach(function (e) { e.single = true; e.next = 0; setState(entryInput(e), "queued"); });
          return;
        }
        failed(batch, res.status);
      })
      .finally(function () {
        batch.forEach(function (e) { e.inflight = false; });
        inflight -= 1;
        render();
        schedule(0);
      });
  }

  function saved(e, sent, cell, row) {
    var input = entryInput(e);
    trouble = "";
    input.setAttribute("data-v", cell.version);
    input.defaultValue = cell.display;
    if (e.raw === sent) {
      queue.delete(e.item + ":" + e.student);
      if (document.activeElement !== input || input.value === sent) input.value = cell.display;
      setState(input, "saved");
    } else {
      // Typed again while this was on its way: send the newer value on top of this version.
      e.base = cell.version;
      e.tries = 0;
      e.next = 0;
    }
    if (row) updateRow(row);
    persist();
  }
  function refused(e, message) {
    var input = entryInput(e);
    queue.delete(e.item + ":" + e.student);
    persist();
    markError(input, message);
  }
  function failed(entries, status) {
    trouble = status === 403 || status === 401 ? "auth" : "network";
    entries.forEach(function (e) { backoff(e); setState(entryInput(e), "queued"); });
  }
  window.addEventListener("online", function () {
    queue.forEach(function (e) { e.next = 0; });
    schedule(0);
  });

  // --- Live totals ------------------------------------------------------------------------------

  function setText(td, text) {
    if (td.textContent === text) return;
    td.textContent = text;
    td.classList.remove("gg-changed");
    void td.offsetWidth; // restart the highlight
    td.classList.add("gg-changed");
  }
  // Saves of one row's cells run side by side, and their answers may arrive in any order: each
  // answer's row is stamped with the database's clock once the row's lock was held, and the
  // row keeps the newest (an older answer would miss the cell saved just after it).
  var rowStamp = new Map();
  function updateRow(row) {
    var r = rowOf.get(row.student);
    if (r === undefined) return;
    if (row.read_at != null) {
      var last = rowStamp.get(row.student);
      if (last !== undefined && row.read_at < last) return;
      rowStamp.set(row.student, row.read_at);
    }
    var tr = rows[r];
    // The server renders the figures (academics.grid.RowSummary.display), as on the page.
    var shown = row.display;
    setText(tr.querySelector('[data-k="in_term"]'), shown.in_term);
    setText(tr.querySelector('[data-k="final"]'), shown.final);
    setText(tr.querySelector('[data-k="total"]'), shown.total);
    var grade = tr.querySelector('[data-k="result"]');
    setText(grade, shown.result);
    grade.setAttribute("data-r", row.result || "");
    grade.title = row.result_label || "";
    var attendance = tr.querySelector('[data-k="attendance"]');
    setText(attendance, shown.attendance);
    attendance.classList.toggle("low", !!row.attendance_low);
  }

  // --- Status banner ----------------------------------------------------------------------------

  function render() {
    var pending = queue.size;
    var held = 0;
    queue.forEach(function (e) { if (e.held) held += 1; });
    var bad = invalid.size;
    var state = "ok";
    var text = "บันทึกครบทุกช่องแล้ว";
    if (pending) {
      state = "pending";
      text = "กำลังบันทึก " + pending + " ช่อง…";
      if (trouble === "network") {
        state = "offline";
        text = "ยังไม่ได้บันทึก " + pending + " ช่อง — การเชื่อมต่อขัดข้อง คะแนนเก็บไว้ในเครื่องนี้แล้วและจะส่งให้อัตโนมัติ";
      } else if (trouble === "auth") {
        state = "offline";
        text = "ยังไม่ได้บันทึก " + pending + " ช่อง — หมดเวลาเข้าสู่ระบบ กรุณาเข้าสู่ระบบใหม่ในแท็บอื่น ระบบจะส่งให้อัตโนมัติ";
      }
      if (held) text += " · รอเลือกค่า " + held + " ช่อง";
    }
    if (bad) {
      if (!pending) { state = "error"; text = ""; }
      text += (text ? " · " : "") + "ช่องที่ไม่ถูกต้อง " + bad + " ช่อง (สีแดง) ยังไม่ได้บันทึก";
    }
    statusEl.className = "gg-status " + state;
    statusEl.setAttribute("data-pending", pending);
    statusEl.setAttribute("data-invalid", bad);
    statusEl.innerHTML = "";
    var dot = document.createElement("span");
    dot.className = "gg-dot";
    statusEl.appendChild(dot);
    statusEl.appendChild(document.createTextNode(" " + text));
  }

  // --- Conflicts --------------------------------------------------------------------------------

  function conflict(e, body) {
    e.held = true;
    setState(entryInput(e), "conflict");
    conflicts.push({ entry: e, body: body });
    nextConflict();
  }
  function nextConflict() {
    if (!conflictDialog || conflictDialog.open || !conflicts.length) return;
    var item = conflicts[0];
    var e = item.entry;
    var theirs = item.body.theirs;
    var r = rowOf.get(e.student);
    var c = colOf.get(e.item);
    conflictDialog.querySelector(".gg-conflict-where").textContent =
      students[r].name + " · " + items[c].name + " (เต็ม " + items[c].maxText + ")";
    conflictDialog.querySelector('[data-slot="mine"]').textContent = item.body.yours.display || "(ว่าง)";
    conflictDialog.querySelector('[data-slot="theirs"]').textContent = theirs.display || "(ว่าง)";
    conflictDialog.querySelector('[data-slot="theirs-label"]').textContent =
      "ค่าที่ " + (theirs.updated_by || "ผู้อื่น") + " บันทึกเมื่อ " + (theirs.updated_at_display || "");
    conflictDialog.returnValue = "";
    conflictDialog.showModal();
  }
  if (conflictDialog) {
    conflictDialog.addEventListener("cancel", function (event) { event.preventDefault(); }); // a choice is needed
    conflictDialog.addEventListener("close", function () {
      var item = conflicts.shift();
      if (!item) return;
      var e = item.entry;
      var theirs = item.body.theirs;
      var input = entryInput(e);
      e.held = false;
      e.tries = 0;
      e.next = 0;
      e.single = true;
      e.base = theirs.version;
      if (conflictDialog.returnValue === "theirs") {
        // Re-sent unchanged on their version: nothing is written, the row's totals come back.
        e.raw = theirs.display;
        input.value = theirs.display;
        input.defaultValue = theirs.display;
        input.setAttribute("data-v", theirs.version);
      }
      setState(input, "queued");
      persist();
      render();
      schedule(0);
      if (conflicts.length) nextConflict();
      else if (current) current.focus();
    });
  }

  // --- Leaving a cell ---------------------------------------------------------------------------

  // Returns false when the entry is invalid: the error is shown and the cell keeps focus.
  function commit(input) {
    var pos = posOf(input);
    var raw = input.value.trim();
    var message = problem(raw, pos.r, pos.c);
    if (message) {
      markError(input, message);
      return false;
    }
    clearError(input);
    var pending = queue.get(keyOf(pos.r, pos.c));
    var reference = pending ? pending.raw : input.defaultValue;
    if (raw !== reference.trim()) enqueue(pos.r, pos.c, raw);
    return true;
  }

  var current = null; // the focused cell
  var editing = false; // F2 / double-click: arrows move the caret instead of the cell

  function focusCell(r, c) {
    var input = inputAt(r, c);
    if (!input) return false;
    input.focus({ preventScroll: true });
    input.parentElement.scrollIntoView({ block: "nearest", inline: "nearest" });
    input.select();
    return true;
  }
  function move(input, dr, dc, wrapRows) {
    if (!commit(input)) return;
    var pos = posOf(input);
    var r = pos.r + dr;
    var c = pos.c + dc;
    if (wrapRows && c >= items.length) { r += 1; c = 0; }
    if (wrapRows && c < 0) { r -= 1; c = items.length - 1; }
    if (wrapRows && (r < 0 || r >= rows.length)) { r = pos.r; c = pos.c; } // no cell before the first or after the last
    r = Math.max(0, Math.min(rows.length - 1, r));
    c = Math.max(0, Math.min(items.length - 1, c));
    focusCell(r, c);
  }

  table.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!isCell(input) || event.isComposing) return;
    var pos = posOf(input);
    var atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    var atEnd = input.selectionStart === input.value.length;
    switch (event.key) {
      case "ArrowUp": event.preventDefault(); move(input, -1, 0); break;
      case "ArrowDown": event.preventDefault(); move(input, 1, 0); break;
      case "ArrowLeft":
        if (editing && !atStart) return;
        event.preventDefault(); move(input, 0, -1); break;
      case "ArrowRight":
        if (editing && !atEnd) return;
        event.preventDefault(); move(input, 0, 1); break;
      case "Enter": event.preventDefault(); move(input, event.shiftKey ? -1 : 1, 0); break;
      case "Tab": event.preventDefault(); move(input, 0, event.shiftKey ? -1 : 1, true); break;
      case "PageDown": event.preventDefault(); move(input, 10, 0); break;
      case "PageUp": event.preventDefault(); move(input, -10, 0); break;
      case "Home":
        if (editing) return;
        event.preventDefault();
        if (commit(input)) focusCell(event.ctrlKey ? 0 : pos.r, 0);
        break;
      case "End":
        if (editing) return;
        event.preventDefault();
        if (commit(input)) focusCell(event.ctrlKey ? rows.length - 1 : pos.r, items.length - 1);
        break;
      case "Escape": {
        event.preventDefault();
        var pending = queue.get(keyOf(pos.r, pos.c));
        input.value = pending ? pending.raw : input.defaultValue;
        clearError(input);
        input.select();
        break;
      }
      case "F2":
        event.preventDefault();
        editing = true;
        input.setSelectionRange(input.value.length, input.value.length);
        break;
    }
  });

  table.addEventListener("focusin", function (event) {
    var input = event.target;
    if (!isCell(input)) return;
    if (current && current !== input) current.closest("tr").classList.remove("gg-cur");
    current = input;
    editing = false;
    input.closest("tr").classList.add("gg-cur");
    var pos = posOf(input);
    activeEl.textContent = students[pos.r].name + " · " + items[pos.c].name + " (เต็ม " + items[pos.c].maxText + ")";
    var error = input.getAttribute("data-error");
    if (error) showTip(input, error);
    else hideTip();
    input.select();
  });
  table.addEventListener("focusout", function (event) {
    var input = event.target;
    if (!isCell(input)) return;
    if (!commit(input)) {
      // Refused in place: back to the cell, unless a dialog took the focus.
      if (!(conflictDialog && conflictDialog.open) && !(historyDialog && historyDialog.open)) {
        setTimeout(function () { input.focus(); }, 0);
      }
    }
  });
  // A click selects the whole cell (typing replaces); a second click or a double-click edits.
  table.addEventListener("mousedown", function (event) {
    var input = event.target;
    if (isCell(input) && document.activeElement !== input) {
      event.preventDefault();
      if (current && current !== input && !commit(current)) return;
      input.focus();
      input.select();
    }
  });
  table.addEventListener("dblclick", function (event) {
    if (!isCell(event.target)) return;
    editing = true;
    event.target.setSelectionRange(event.target.value.length, event.target.value.length);
  });

  // --- Paste a block from Excel / Google Sheets ---------------------------------------------------

  table.addEventListener("paste", function (event) {
    var input = event.target;
    if (!isCell(input)) return;
    var text = (event.clipboardData || window.clipboardData).getData("text");
    var body = text.replace(/[\r\n]+$/, "");
    if (!/[\t\r\n]/.test(body)) return; // one value: the browser pastes it into the cell
    event.preventDefault();
    var start = posOf(input);
    var lines = body.replace(/\r\n?/g, "\n").split("\n");
    var put = 0;
    var bad = 0;
    var outside = 0;
    lines.forEach(function (line, i) {
      line.split("\t").forEach(function (value, j) {
        var r = start.r + i;
        var c = start.c + j;
        var cell = inputAt(r, c);
        if (!cell || r >= rows.length) { outside += 1; return; }
        value = value.trim();
        cell.value = value;
        var message = problem(value, r, c);
        if (message) { markError(cell, message); bad += 1; return; }
        clearError(cell);
        var pending = queue.get(keyOf(r, c));
        if (value !== (pending ? pending.raw : cell.defaultValue).trim()) enqueue(r, c, value, { later: true });
        put += 1;
      });
    });
    var parts = ["วางแล้ว " + put + " ช่อง"];
    if (bad) parts.push("ไม่ถูกต้อง " + bad + " ช่อง (สีแดง) ยังไม่ได้บันทึก");
    if (outside) parts.push("เกินขอบตาราง " + outside + " ช่อง จึงไม่ได้วาง");
    note.textContent = parts.join(" · ");
    render();
    schedule(0);
    input.select();
  });

  // --- Tools: ร / มส / clear, and a cell's history ---------------------------------------------

  document.getElementById("gg-tools").addEventListener("mousedown", function (event) {
    if (event.target.closest("button")) event.preventDefault(); // keep the focus in the cell
  });
  document.getElementById("gg-tools").addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || !current) return;
    if (button.hasAttribute("data-gg-put")) {
      current.value = button.getAttribute("data-gg-put");
      commit(current);
      current.focus();
      current.select();
    } else if (button.hasAttribute("data-gg-history")) {
      showHistory(current);
    }
  });

  function showHistory(input) {
    var pos = posOf(input);
    var url = API + "scores/" + items[pos.c].code + "/" + students[pos.r].code + "/history/";
    historyDialog.querySelector(".gg-history-where").textContent = students[pos.r].name + " · " + items[pos.c].name;
    var body = historyDialog.querySelector(".gg-history-body");
    body.textContent = "กำลังโหลด…";
    historyDialog.showModal();
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.json() : Promise.reject(res.status); })
      .then(function (entries) {
        if (!entries.length) { body.textContent = "ยังไม่มีการบันทึกช่องนี้"; return; }
        var t = document.createElement("table");
        var head = t.createTHead().insertRow();
        ["เมื่อ", "โดย", "เดิม", "ใหม่"].forEach(function (label) {
          var th = document.createElement("th");
          th.textContent = label;
          head.appendChild(th);
        });
        var tb = t.createTBody();
        entries.forEach(function (entry) {
          var tr = tb.insertRow();
          [entry.at_display, entry.user, entry.old || "(ว่าง)", entry.new || "(ว่าง)"].forEach(function (text, i) {
            var td = tr.insertCell();
            td.textContent = text;
            if (i === 2) td.className = "diff-old";
            if (i === 3) td.className = "diff-new";
          });
        });
        body.innerHTML = "";
        body.appendChild(t);
      })
      .catch(function () { body.textContent = "โหลดประวัติไม่สำเร็จ กรุณาลองอีกครั้ง"; });
  }
  if (historyDialog) {
    historyDialog.addEventListener("close", function () { if (current) current.focus(); });
  }

  // --- Unsaved values survive a reload ----------------------------------------------------------

  function restore() {
    var stored = {};
    try { stored = JSON.parse(localStorage.getItem(STORE) || "{}") || {}; } catch (err) { stored = {}; }
    var count = 0;
    Object.keys(stored).forEach(function (key) {
      var s = stored[key];
      var r = rowOf.get(s.student);
      var c = colOf.get(s.item);
      if (r === undefined || c === undefined) return; // the row or column is gone
      var input = inputAt(r, c);
      input.value = s.raw;
      queue.set(key, { item: s.item, student: s.student, raw: s.raw, base: s.base || 0, tries: 0, next: 0,
                       inflight: false, held: false, single: false });
      setState(input, "queued");
      count += 1;
    });
    persist();
    if (count) note.textContent = "พบคะแนนที่ยังไม่ได้บันทึกจากครั้งก่อน " + count + " ช่อง กำลังส่งให้อัตโนมัติ";
    render();
    schedule(0);
  }
  window.addEventListener("pagehide", function () {
    if (current && !problem(current.value.trim(), posOf(current).r, posOf(current).c)) commit(current);
    persist();
  });
  window.addEventListener("beforeunload", function (event) {
    if (current) commit(current);
    if (queue.size || invalid.size) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  restore();
})();
