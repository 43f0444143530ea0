// School calendar: the quick "add holiday" form from a day cell opens in a dialog.
// Without JavaScript the "+" in a cell is a plain link to the full event form.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "quick-add-body") return;
    var dialog = document.getElementById("quick-add");
    if (dialog && !dialog.open && typeof dialog.showModal === "function") dialog.showModal();
    var first = event.target.querySelector("input[name=title]");
    if (first) first.focus();
  });
  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-close-dialog]");
    if (!close) return;
    var dialog = close.closest("dialog");
    if (dialog) {
      event.preventDefault();
      dialog.close();
    }
  });
})();
