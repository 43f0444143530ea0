// Q-Info: the early-childhood evaluation. htmx saves each cell; a refused save (400) still
// swaps the cell so that the saved value comes back beside the Thai message.
(function () {
  "use strict";
  // Each save answers with the child's summary, read after the child's earlier saves
  // committed and stamped with the database's clock: when answers arrive out of order, the
  // page keeps the newest summary instead of the last one to arrive.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var fragment = event.detail.fragment;
    var incoming = fragment && fragment.firstElementChild;
    if (!target || !incoming || !target.getAttribute || !incoming.getAttribute) return;
    var shown = Number(target.getAttribute("data-read-at") || 0);
    var sent = Number(incoming.getAttribute("data-read-at") || 0);
    if (shown && sent && sent < shown) event.detail.shouldSwap = false;
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (event.detail.xhr.status === 400 && target && target.hasAttribute && target.hasAttribute("data-ec-cell")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
