// Q-Info: the early-childhood evaluation. htmx saves each cell; a refused save (400) still
// swaps the cell so that the saved value comes back beside the Thai message.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (event.detail.xhr.status === 400 && target && target.hasAttribute && target.hasAttribute("data-ec-cell")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
