// Billing pages: print button, select-all checkbox, confirmations. Loaded as a file: the
// Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });

  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    var name = box.getAttribute("data-select-all");
    box.addEventListener("change", function () {
      var form = box.closest("form") || document;
      form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (each) {
        each.checked = box.checked;
      });
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });
})();
