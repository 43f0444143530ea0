// Timetable grid: small behaviours around htmx's per-cell saves. No framework.
(function () {
  "use strict";

  // A refused placement comes back as 400 with the cell (old value + Thai message) and the
  // status line; swap it in like a success so the registrar sees why.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (event.detail.xhr.status === 400 && target && target.classList && target.classList.contains("tt-cell")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Choosing a section for an empty room box fills in the room that section already uses in
  // another cell of this grid (saved since the page loaded), else the one the server knew.
  // Capture phase: this runs before htmx reads the form on the same change event.
  function usualRoom(select) {
    var found = "";
    document.querySelectorAll(".tt-cell form").forEach(function (form) {
      var other = form.querySelector("select[name=section]");
      var room = form.querySelector("input[name=room]");
      if (!found && other && other !== select && other.value === select.value && room && room.value) found = room.value;
    });
    var option = select.options[select.selectedIndex];
    return found || (option && option.dataset.room) || "";
  }
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches(".tt-cell select[name=section]") || !select.value) return;
    var room = select.form && select.form.querySelector("input[name=room]");
    if (room && !room.value) room.value = usualRoom(select);
  }, true);

  // The swapped cell is a new element: give focus back to the same control so keyboard
  // users can carry on from where they were.
  var focused = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var active = document.activeElement;
    var cell = active && active.closest ? active.closest(".tt-cell") : null;
    focused = cell && cell.id ? { id: cell.id, name: active.name } : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!focused) return;
    var cell = document.getElementById(focused.id);
    var control = cell && focused.name ? cell.querySelector("[name=" + focused.name + "]") : null;
    if (control && control.type !== "hidden") control.focus();
    focused = null;
  });
})();
