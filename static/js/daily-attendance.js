// Q-Info: the daily roll on a phone. "มาครบ" and each tap change the page at once and go into a
// queue kept in the phone's storage (localStorage), so a dropped network, a reload or a closed
// tab loses nothing: the queue is sent, one request per student at a time (the last tap wins),
// as soon as the network is back. "มาครบ" never overwrites a mark on the server, so the order in
// which the queue is replayed does not matter. The page's counts are worked out from the marks on
// the page, so a late answer cannot show an older state. Without this file the page still works
// as a plain form, one submit per tap.
(function () {
  "use strict";

  var form = document.querySelector("form[data-roll]");
  if (!form || form.hasAttribute("data-readonly")) return;

  var LABELS = { "/": "มา", "ส": "สาย", "ล": "ลา", "ป": "ป่วย", "ข": "ขาด", "": "ยังไม่บันทึก" };
  var STORE = form.getAttribute("data-store-key");
  var ALL = "__all__";
  var state = document.getElementById("save-state");
  var reasonInput = document.getElementById("reason");
  var rows = {};
  Array.prototype.forEach.call(form.querySelectorAll(".roll-row"), function (row) {
    rows[row.getAttribute("data-student")] = row;
  });

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // --- The page ---------------------------------------------------------------------------------

  function show(row, status) {
    row.setAttribute("data-status", status);
    row.querySelector("[data-now]").textContent = LABELS[status] || status;
    Array.prototype.forEach.call(row.querySelectorAll(".roll-btn"), function (button) {
      button.setAttribute("aria-pressed", button.getAttribute("data-set") === status ? "true" : "false");
    });
  }
  function rowError(row, message) {
    var slot = row.querySelector("[data-error]");
    slot.textContent = message || "";
    row.classList.toggle("error", !!message);
  }
  function recount() {
    var tally = { "/": 0, "ส": 0, "ล": 0, "ป": 0, "ข": 0, "": 0 };
    Object.keys(rows).forEach(function (code) {
      var status = rows[code].getAttribute("data-status") || "";
      tally[status] = (tally[status] || 0) + 1;
    });
    Array.prototype.forEach.call(document.querySelectorAll("#roll-counts [data-count]"), function (badge) {
      badge.querySelector("b").textContent = tally[badge.getAttribute("data-count")] || 0;
    });
    var summary = document.getElementById("roll-state");
    if (summary) {
      summary.textContent = !tally[""] ? "เช็คชื่อครบแล้ว" : tally[""] === Object.keys(rows).length
        ? "ยังไม่เช็คชื่อ" : "บันทึกแล้วบางส่วน — ยังไม่บันทึก " + tally[""] + " คน";
    }
  }
  function reason() {
    return reasonInput ? reasonInput.value.trim() : "";
  }
  function needReason() {
    if (!form.hasAttribute("data-late") || reason()) return false;
    setState("failed", "แก้ไขย้อนหลังต้องระบุเหตุผลก่อน");
    reasonInput.focus();
    return true;
  }

  // --- The queue --------------------------------------------------------------------------------

  var queue = {}; // key -> {url, body, tries, next}
  var inflight = {};
  var timer = null;
  var offline = false;

  function persist() {
    try {
      var keys = Object.keys(queue);
      if (!keys.length) return localStorage.removeItem(STORE);
      var out = {};
      keys.forEach(function (k) { out[k] = { url: queue[k].url, body: queue[k].body }; });
      localStorage.setItem(STORE, JSON.stringify(out));
    } catch (err) {
      // Private browsing or a full store: the queue still works while the page is open.
    }
  }
  function pendingCount() {
    var keys = {};
    Object.keys(queue).concat(Object.keys(inflight)).forEach(function (k) { keys[k] = true; });
    return Object.keys(keys).length;
  }
  function setState(kind, text) {
    if (!state) return;
    state.className = "save-state " + kind;
    state.textContent = text;
  }
  function render() {
    var n = pendingCount();
    if (!n) return setState("saved", "บันทึกแล้ว");
    if (offline) {
      return setState("failed", "ไม่มีสัญญาณ: เก็บไว้ในเครื่อง " + n + " รายการ จะส่งให้อัตโนมัติเมื่อกลับมาออนไลน์");
    }
    setState("saving", "กำลังบันทึก " + n + " รายการ…");
  }
  function enqueue(key, url, body) {
    queue[key] = { url: url, body: body, tries: 0, next: 0 };
    persist();
    render();
    pump();
  }
  function schedule(delay) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () { timer = null; pump(); }, delay);
  }
  function pump() {
    var now = Date.now();
    var wait = null;
    Object.keys(queue).forEach(function (key) {
      if (inflight[key]) return;
      var entry = queue[key];
      if (entry.next > now) {
        wait = wait === null ? entry.next - now : Math.min(wait, entry.next - now);
        return;
      }
      delete queue[key];
      inflight[key] = entry;
      send(key, entry);
    });
    if (wait !== null) schedule(wait);
  }
  function send(key, entry) {
    fetch(entry.url, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(entry.body),
    })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          return { ok: response.ok, status: response.status, data: data };
        });
      })
      .then(function (result) {
        delete inflight[key];
        offline = false;
        var row = rows[key];
        if (result.ok) {
          if (row) rowError(row, "");
        } else if (result.status === 401 || result.status === 403) {
          requeue(key, entry); // signed out: keep it, the teacher signs in again and it goes
          setState("failed", "หมดเวลาเข้าสู่ระบบ กรุณาเข้าสู่ระบบใหม่ในแท็บอื่น แล้วกลับมาหน้านี้ รายการที่ยังไม่ส่งเก็บไว้ในเครื่อง");
          persist();
          return;
        } else {
          var message = explain(result.data);
          if (row) rowError(row, message);
          else setState("failed", message);
        }
        persist();
        render();
        pump();
      })
      .catch(function () {
        delete inflight[key];
        offline = true;
        requeue(key, entry);
        persist();
        render();
      });
  }
  function requeue(key, entry) {
    if (queue[key]) return; // a newer tap for this student is already waiting: it wins
    entry.tries += 1;
    entry.next = Date.now() + Math.min(30000, 1000 * Math.pow(2, Math.min(entry.tries, 5)));
    queue[key] = entry;
    schedule(entry.next - Date.now());
  }
  function explain(data) {
    if (!data) return "บันทึกไม่สำเร็จ";
    var parts = [];
    var errors = data.errors || data;
    Object.keys(errors || {}).forEach(function (k) {
      var v = errors[k];
      (Array.isArray(v) ? v : [v]).forEach(function (x) { if (typeof x === "string") parts.push(x); });
    });
    return parts.join(" ") || data.detail || "บันทึกไม่สำเร็จ";
  }
  window.addEventListener("online", function () {
    Object.keys(queue).forEach(function (k) { queue[k].next = 0; });
    pump();
  });
  window.addEventListener("beforeunload", function (event) {
    persist();
    if (pendingCount()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // --- Taps -------------------------------------------------------------------------------------

  function markBody(row, status) {
    var note = row.querySelector("[data-note]");
    return { status: status, note: note ? note.value.trim() : "", reason: reason() };
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || !form.contains(button)) return;
    if (button.id === "all-present") {
      event.preventDefault();
      if (needReason()) return;
      Object.keys(rows).forEach(function (code) {
        if (!rows[code].getAttribute("data-status")) show(rows[code], "/");
      });
      recount();
      enqueue(ALL, form.getAttribute("data-day-url"), { all_present: true, reason: reason() });
      return;
    }
    var status = button.getAttribute("data-set");
    if (status === null) return;
    event.preventDefault();
    if (needReason()) return;
    var row = button.closest(".roll-row");
    show(row, status);
    recount();
    enqueue(row.getAttribute("data-student"), row.getAttribute("data-url"), markBody(row, status));
  });
  form.addEventListener("change", function (event) {
    if (!event.target.hasAttribute("data-note")) return;
    var row = event.target.closest(".roll-row");
    var status = row.getAttribute("data-status");
    if (!status) return; // sent with the student's mark when it is tapped
    if (needReason()) return;
    enqueue(row.getAttribute("data-student"), row.getAttribute("data-url"), markBody(row, status));
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault(); // Enter in a note field: the change event has queued it
  });

  // --- What a reload brings back ----------------------------------------------------------------

  function restore() {
    var stored = {};
    try { stored = JSON.parse(localStorage.getItem(STORE) || "{}") || {}; } catch (err) { stored = {}; }
    var count = 0;
    Object.keys(stored).forEach(function (key) {
      var entry = stored[key];
      if (!entry || !entry.url || !entry.body) return;
      if (key === ALL) {
        Object.keys(rows).forEach(function (code) {
          if (!rows[code].getAttribute("data-status")) show(rows[code], "/");
        });
      } else if (rows[key]) {
        show(rows[key], entry.body.status);
        var note = rows[key].querySelector("[data-note]");
        if (note && entry.body.note) note.value = entry.body.note;
      } else {
        return; // the student is no longer on this roll
      }
      queue[key] = { url: entry.url, body: entry.body, tries: 0, next: 0 };
      count += 1;
    });
    recount();
    if (count) setState("saving", "พบรายการที่ยังไม่ได้ส่งจากครั้งก่อน " + count + " รายการ กำลังส่งให้อัตโนมัติ");
    persist();
    pump();
  }
  restore();
})();
