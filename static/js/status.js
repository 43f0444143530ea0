// Status change form: show the reason list only for a dropout and the other school only for
// transfers. Without JavaScript every field stays visible and the server checks the rules.
(function () {
  "use strict";
  function update(form) {
    var kind = form.querySelector("select[name=kind]");
    if (!kind) return;
    form.querySelectorAll("[data-show-for]").forEach(function (block) {
      var kinds = block.getAttribute("data-show-for").split(" ");
      var hasError = block.querySelector(".has-error");
      block.hidden = !hasError && kinds.indexOf(kind.value) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-status-form]").forEach(function (form) {
      update(form);
      form.addEventListener("change", function (event) {
        if (event.target.name === "kind") update(form);
      });
    });
  });
})();
