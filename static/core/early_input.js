/* A choice made before the page's scripts were ready is not lost.
 *
 * htmx listens for changes once the page has loaded. A person quick with the mouse (or a slow
 * network) can pick a doctor, or type in a search box, before that: the browser keeps the new
 * value, but no request follows, and the slot picker or the suggestions would go on showing
 * what they showed for the old value. Once htmx is ready, every htmx field whose value differs
 * from the one the page was served with announces its change again, so what the page shows
 * matches what the person chose. (A value the browser restored on reload is treated the same.)
 */
(function () {
  "use strict";

  var HTMX_FIELDS = "select[hx-get], select[hx-post], input[hx-get], input[hx-post], " +
    "textarea[hx-get], textarea[hx-post]";

  function changed(field) {
    if (field.tagName === "SELECT") {
      return Array.prototype.some.call(field.options, function (option) {
        return option.selected !== option.defaultSelected;
      });
    }
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    return field.value !== field.defaultValue;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(HTMX_FIELDS).forEach(function (field) {
      if (!changed(field)) return;
      var typed = field.tagName !== "SELECT" && field.type !== "checkbox" && field.type !== "radio";
      field.dispatchEvent(new Event(typed ? "input" : "change", { bubbles: true }));
      if (typed) field.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });
})();
