// Q-Info: the roll call, hours sheet, activity results and the evaluation grid.
// Each change is saved at once through the API, one small unit per request; requests for the
// same student/cell are sent one after another so the last change always wins; a dropped
// network is retried and the page says what is still unsaved. Without this file every page
// still works as a plain form.
(function () {
  "use strict";

  var LABELS = { "/": "มา", "ส": "สาย", "ล": "ลา", "ป": "ป่วย", "ข": "ขาด" };
  var CYCLE = ["/", "ส", "ล", "ป", "ข"];
  var KEY_STATUS = { "1": "/", "/": "/", "2": "ส", "ส": "ส", "3": "ล", "ล": "ล", "4": "ป", "ป": "ป", "5": "ข", "ข": "ข" };
  var LEVEL_LABELS = { "3": "ดีเยี่ยม", "2": "ดี", "1": "ผ่าน", "0": "ไม่ผ่าน" };
  var THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙";

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function errorText(data) {
    if (!data) return "บันทึกไม่สำเร็จ";
    var parts = [];
    if (data.errors) {
      Object.keys(data.errors).forEach(function (key) {
        var value = data.errors[key];
        (Array.isArray(value) ? value : [value]).forEach(function (v) {
          parts.push(typeof v === "string" ? v : JSON.stringify(v));
        });
      });
    }
    return parts.length ? parts.join(" ") : data.detail || "บันทึกไม่สำเร็จ";
  }

  // --- Saver: per-key sequencing, retry on network failure, a status line ------------------
  function Saver(indicator) {
    this.indicator = indicator;
    this.pending = {};
    this.inflight = {};
    this.failed = {};
    this.lastSaved = null;
    this.timer = null;
    var self = this;
    window.addEventListener("beforeunload", function (event) {
      if (self.unsavedCount()) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }
  Saver.prototype.unsavedCount = function () {
    var keys = {};
    [this.pending, this.inflight, this.failed].forEach(function (map) {
      Object.keys(map).forEach(function (k) { keys[k] = true; });
    });
    return Object.keys(keys).length;
  };
  Saver.prototype.save = function (key, job) {
    this.pending[key] = job;
    delete this.failed[key];
    this.pump(key);
    this.render();
  };
  Saver.prototype.pump = function (key) {
    var self = this;
    if (self.inflight[key] || !self.pending[key]) return;
    var job = self.pending[key];
    delete self.pending[key];
    self.inflight[key] = job;
    fetch(job.url, {
      method: job.method || "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), Accept: "application/json" },
      body: JSON.stringify(job.body),
    })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          return { ok: response.ok, status: response.status, data: data };
        });
      })
      .then(function (result) {
        delete self.inflight[key];
        if (result.ok) {
          self.lastSaved = new Date();
          if (!self.pending[key] && job.onDone) job.onDone(result.data);
        } else if (result.status >= 500) {
          self.retryLater(key, job);
        } else if (job.onError) {
          // A refusal (bad value, locked section) is not retried: the teacher sees why.
          job.onError(errorText(result.data));
        }
        self.pump(key);
        self.render();
      })
      .catch(function () {
        delete self.inflight[key];
        self.retryLater(key, job);
        self.pump(key);
        self.render();
      });
  };
  Saver.prototype.retryLater = function (key, job) {
    var self = this;
    if (!self.pending[key]) self.failed[key] = job;
    if (self.timer) return;
    self.timer = window.setTimeout(function () {
      self.timer = null;
      Object.keys(self.failed).forEach(function (k) {
        if (!self.pending[k]) self.pending[k] = self.failed[k];
        delete self.failed[k];
        self.pump(k);
      });
      self.render();
    }, 4000);
  };
  Saver.prototype.render = function () {
    var el = this.indicator;
    if (!el) return;
    var failed = Object.keys(this.failed).length;
    var busy = Object.keys(this.inflight).length + Object.keys(this.pending).length;
    el.classList.remove("saving", "saved", "failed");
    if (failed) {
      el.classList.add("failed");
      el.textContent = "ยังไม่ได้บันทึก " + failed + " รายการ (เชื่อมต่อไม่ได้) — กำลังลองใหม่อัตโนมัติ อย่าเพิ่งปิดหน้านี้";
    } else if (busy) {
      el.classList.add("saving");
      el.textContent = "กำลังบันทึก…";
    } else if (this.lastSaved) {
      el.classList.add("saved");
      var t = this.lastSaved;
      el.textContent = "✓ บันทึกแล้ว " + String(t.getHours()).padStart(2, "0") + ":" + String(t.getMinutes()).padStart(2, "0") + " น.";
    }
  };

  // --- Roll call ---------------------------------------------------------------------------
  function initRollCall(table) {
    if (table.hasAttribute("data-readonly")) return;
    var saver = new Saver(document.getElementById("save-state"));
    var buttons = Array.prototype.slice.call(table.querySelectorAll(".att-status"));
    var note = document.querySelector("[data-recorded-note]");
    var recorded = note && note.textContent.trim() === "บันทึกแล้ว";

    function refreshPercents() {
      // The first save records the meeting, which changes everyone's percentage.
      fetch(table.dataset.summaryUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          data.students.forEach(function (student) {
            var row = table.querySelector('tr[data-student="' + student.code + '"] [data-percent]');
            if (row) row.textContent = student.percent_text;
          });
        })
        .catch(function () { /* percentages refresh on the next page load */ });
    }

    function counts() {
      var tally = {};
      buttons.forEach(function (b) { tally[b.dataset.status] = (tally[b.dataset.status] || 0) + 1; });
      document.querySelectorAll("[data-count]").forEach(function (badge) {
        badge.querySelector("b").textContent = tally[badge.dataset.count] || 0;
      });
    }

    function setStatus(button, status) {
      if (button.dataset.status === status) return;
      var row = button.closest("tr");
      var error = row.querySelector("[data-error]");
      button.dataset.status = status;
      button.querySelector(".sym").textContent = status;
      button.querySelector(".lbl").textContent = LABELS[status];
      button.classList.add("saving");
      button.classList.remove("error");
      counts();
      saver.save(button.id, {
        url: button.dataset.url,
        body: { status: status },
        onDone: function (data) {
          button.classList.remove("saving");
          if (error) error.textContent = "";
          var pct = row.querySelector("[data-percent]");
          if (pct) pct.textContent = data.percent_text;
          if (!recorded) {
            recorded = true;
            if (note) note.textContent = "บันทึกแล้ว";
            refreshPercents();
          }
        },
        onError: function (message) {
          button.classList.remove("saving");
          button.classList.add("error");
          if (error) error.textContent = message;
        },
      });
    }

    function next(status) {
      return CYCLE[(CYCLE.indexOf(status) + 1) % CYCLE.length];
    }

    function move(button, step) {
      var index = buttons.indexOf(button) + step;
      if (index >= 0 && index < buttons.length) buttons[index].focus();
    }

    buttons.forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        setStatus(button, next(button.dataset.status));
      });
      button.addEventListener("keydown", function (event) {
        if (event.key === "ArrowDown") { event.preventDefault(); move(button, 1); return; }
        if (event.key === "ArrowUp") { event.preventDefault(); move(button, -1); return; }
        var status = KEY_STATUS[event.key];
        if (status && !event.ctrlKey && !event.metaKey && !event.altKey) {
          event.preventDefault();
          setStatus(button, status);
          move(button, 1);
        }
      });
    });
    if (buttons.length) buttons[0].focus({ preventScroll: true });
  }

  // --- Hours mode --------------------------------------------------------------------------
  function initHours(table) {
    var saver = new Saver(document.getElementById("save-state"));
    table.querySelectorAll(".hours-input").forEach(function (input) {
      input.addEventListener("change", function () {
        var row = input.closest("tr");
        var error = row.querySelector("[data-error]");
        input.classList.remove("error");
        saver.save(input.id, {
          url: input.dataset.url,
          body: { absent_hours: input.value },
          onDone: function (data) {
            if (error) error.textContent = "";
            row.querySelector("[data-percent]").textContent = data.percent_text;
            var flag = row.querySelector("[data-flag]");
            flag.textContent = "";
            row.classList.toggle("flagged", !!data.flag);
            if (data.flag) {
              var badge = document.createElement("span");
              badge.className = "badge bad";
              badge.textContent = "มส";
              flag.appendChild(badge);
              flag.appendChild(document.createTextNode(" " + data.flag.message + " · " + data.flag.remedy_label));
            }
          },
          onError: function (message) {
            input.classList.add("error");
            if (error) error.textContent = message;
          },
        });
      });
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          // Enter moves down like a spreadsheet instead of submitting the whole sheet.
          event.preventDefault();
          var inputs = Array.prototype.slice.call(table.querySelectorAll(".hours-input"));
          var nextInput = inputs[inputs.indexOf(input) + 1];
          input.dispatchEvent(new Event("change"));
          if (nextInput) nextInput.focus();
        }
      });
    });
  }

  // --- Activities --------------------------------------------------------------------------
  function initActivity(table) {
    var saver = new Saver(document.getElementById("save-state"));
    function stats() {
      var tally = { "ผ": 0, "มผ": 0, "": 0 };
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var pressed = row.querySelector('.act-btn[aria-pressed="true"]');
        if (row.querySelector(".act-btn")) tally[pressed ? pressed.dataset.result : ""] += 1;
      });
      document.querySelectorAll("[data-stat]").forEach(function (el) { el.textContent = tally[el.dataset.stat]; });
    }
    table.querySelectorAll(".act-btn").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        var row = button.closest("tr");
        var warning = row.querySelector("[data-warning]");
        var error = row.querySelector("[data-error]");
        row.querySelectorAll(".act-btn").forEach(function (b) {
          b.setAttribute("aria-pressed", b === button ? "true" : "false");
        });
        stats();
        saver.save(button.dataset.url, {
          url: button.dataset.url,
          body: { result: button.dataset.result },
          onDone: function (data) {
            warning.textContent = data.warning || "";
            error.textContent = "";
          },
          onError: function (message) { error.textContent = message; },
        });
      });
    });
  }

  // --- Evaluation grid ---------------------------------------------------------------------
  function initEvaluation(table) {
    var saver = new Saver(document.getElementById("save-state"));
    var message = document.getElementById("eval-message");
    var picker = document.getElementById("eval-picker");
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-student]"));
    var grid = rows.map(function (row) { return Array.prototype.slice.call(row.querySelectorAll(".eval-cell")); });
    var current = null;

    function position(cell) {
      for (var r = 0; r < grid.length; r++) {
        var c = grid[r].indexOf(cell);
        if (c >= 0) return [r, c];
      }
      return [0, 0];
    }
    function focusAt(r, c) {
      if (r < 0 || r >= grid.length) return;
      var row = grid[r];
      var cell = row[Math.max(0, Math.min(c, row.length - 1))];
      if (cell) { cell.focus(); cell.select(); }
    }
    function advance(cell) {
      var p = position(cell);
      if (p[1] + 1 < grid[p[0]].length) focusAt(p[0], p[1] + 1);
      else focusAt(p[0] + 1, 0);
    }

    function fillCounts(line, values) {
      var tally = { "3": 0, "2": 0, "1": 0, "0": 0, "": 0 };
      values.forEach(function (value) { tally[value] = (tally[value] || 0) + 1; });
      var cells = line.querySelectorAll("td.num");
      ["3", "2", "1", "0", ""].forEach(function (level, i) { cells[i].textContent = tally[level]; });
    }

    function recount() {
      var body = document.querySelector("#eval-counts tbody");
      if (!body) return;
      var lines = body.querySelectorAll("tr");
      var columns = grid.length ? grid[0].length : 0;
      for (var c = 0; c < columns; c++) {
        fillCounts(lines[c], grid.map(function (row) { return row[c].value; }));
      }
      if (lines[columns]) {
        fillCounts(lines[columns], rows.map(function (row) {
          return row.querySelector("[data-overall]").dataset.overallLevel || "";
        }));
      }
      var completed = document.querySelector("[data-completed]");
      if (completed) {
        completed.textContent = grid.filter(function (row) {
          return row.every(function (cell) { return cell.value !== ""; });
        }).length;
      }
    }

    function showOverall(row, data) {
      var cell = row.querySelector("[data-overall]");
      if (!cell || !data) return;
      cell.textContent = "";
      cell.dataset.overallLevel = data.overall === null ? "" : String(data.overall);
      var span = document.createElement("span");
      if (data.overall === null) {
        span.className = "muted";
        span.textContent = "ยังไม่ครบ";
      } else {
        span.className = "badge " + (data.overall === 0 ? "bad" : data.overall === 1 ? "warn" : "ok");
        span.textContent = data.overall_label + " (" + data.overall + ")";
      }
      cell.appendChild(span);
    }

    // Saves go one row at a time: each request carries every cell of the row this teacher has
    // changed on the page, so a newer request supersedes an older one that has not left yet,
    // and the overall level shown comes from the answer to the last one, never a stale one.
    var changed = {};
    function rowCells(row) { return grid[rows.indexOf(row)] || []; }
    function commit(cell, value) {
      var row = cell.closest("tr");
      if (cell.dataset.level === value && !cell.classList.contains("error")) return;
      cell.value = value;
      cell.dataset.level = value;
      cell.title = value === "" ? "" : LEVEL_LABELS[value];
      cell.classList.add("saving");
      cell.classList.remove("error");
      message.textContent = "";
      recount();
      var student = row.dataset.student;
      changed[student] = changed[student] || {};
      changed[student][cell.name] = true;
      var cells = rowCells(row).filter(function (c) { return changed[student][c.name]; });
      saver.save("row-" + student, {
        url: table.dataset.url,
        body: {
          cells: cells.map(function (c) {
            return { student: student, kind: c.dataset.kind, item: Number(c.dataset.item), level: c.value === "" ? null : Number(c.value) };
          }),
        },
        onDone: function (data) {
          cells.forEach(function (c) { c.classList.remove("saving"); });
          showOverall(row, data.students && data.students[0]);
          recount();
        },
        onError: function (text) {
          cells.forEach(function (c) {
            if (c.classList.contains("saving")) { c.classList.remove("saving"); c.classList.add("error"); }
          });
          message.textContent = text;
        },
      });
    }

    function normalise(key) {
      var i = THAI_DIGITS.indexOf(key);
      return i >= 0 ? String(i) : key;
    }

    function showPicker(cell) {
      if (!picker) return;
      current = cell;
      var rect = cell.getBoundingClientRect();
      picker.hidden = false;
      var left = window.scrollX + rect.left;
      var maxLeft = window.scrollX + document.documentElement.clientWidth - picker.offsetWidth - 8;
      picker.style.left = Math.max(8, Math.min(left, maxLeft)) + "px";
      picker.style.top = window.scrollY + rect.bottom + 4 + "px";
    }

    grid.forEach(function (row) {
      row.forEach(function (cell) {
        cell.title = cell.value === "" ? "" : LEVEL_LABELS[cell.value];
        cell.addEventListener("focus", function () { cell.select(); showPicker(cell); });
        cell.addEventListener("blur", function () {
          window.setTimeout(function () {
            if (picker && document.activeElement && !picker.contains(document.activeElement) && !document.activeElement.classList.contains("eval-cell")) picker.hidden = true;
          }, 0);
        });
        cell.addEventListener("keydown", function (event) {
          if (event.ctrlKey || event.metaKey || event.altKey) return;
          var p = position(cell);
          var key = normalise(event.key);
          if (key === "ArrowRight") { event.preventDefault(); focusAt(p[0], p[1] + 1); }
          else if (key === "ArrowLeft") { event.preventDefault(); focusAt(p[0], p[1] - 1); }
          else if (key === "ArrowDown" || key === "Enter") { event.preventDefault(); focusAt(p[0] + 1, p[1]); }
          else if (key === "ArrowUp") { event.preventDefault(); focusAt(p[0] - 1, p[1]); }
          else if (key === "Backspace" || key === "Delete") { event.preventDefault(); commit(cell, ""); }
          else if (/^[0-3]$/.test(key)) { event.preventDefault(); commit(cell, key); advance(cell); }
          else if (key.length === 1) {
            event.preventDefault();
            message.textContent = "“" + event.key + "” ไม่ใช่ระดับที่ใช้ได้: พิมพ์ 3 (ดีเยี่ยม) 2 (ดี) 1 (ผ่าน) หรือ 0 (ไม่ผ่าน)";
          }
        });
        // A value pasted or typed by a phone keyboard arrives as input, not keydown.
        cell.addEventListener("input", function () {
          var value = normalise(cell.value.trim().slice(-1));
          if (value === "") commit(cell, value);
          else if (/^[0-3]$/.test(value)) { commit(cell, value); advance(cell); }
          else {
            cell.value = cell.dataset.level || "";
            message.textContent = "ระดับต้องเป็น 3 (ดีเยี่ยม) 2 (ดี) 1 (ผ่าน) หรือ 0 (ไม่ผ่าน)";
          }
        });
      });
    });

    if (picker) {
      picker.addEventListener("mousedown", function (event) { event.preventDefault(); });
      picker.querySelectorAll("[data-pick]").forEach(function (button) {
        button.addEventListener("click", function () {
          if (!current) return;
          commit(current, button.dataset.pick);
          if (button.dataset.pick !== "") advance(current);
          else current.focus();
        });
      });
    }
    var form = document.getElementById("eval-form");
    if (form) form.addEventListener("submit", function (event) {
      // Enter in a cell moves down; the whole-grid form is only for browsers without JS.
      event.preventDefault();
    });
  }

  function initMatrix(table) {
    // The most recent meetings sit at the right, next to the totals: start the scroll there.
    var wrap = table.closest(".table-wrap");
    if (wrap) wrap.scrollLeft = wrap.scrollWidth;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var matrix = document.querySelector("[data-matrix]");
    if (matrix) initMatrix(matrix);
    var roll = document.querySelector("[data-rollcall]");
    if (roll) initRollCall(roll);
    var hours = document.querySelector("[data-hours]");
    if (hours) initHours(hours);
    var activity = document.querySelector("[data-activity]");
    if (activity) initActivity(activity);
    var evaluation = document.querySelector("[data-eval-grid]");
    if (evaluation) initEvaluation(evaluation);
  });
})();
