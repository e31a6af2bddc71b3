/* Each form starts focused on its first field, so a person can type at once.
 *
 * When the page loads, in this order:
 *  1. a page that shows form errors focuses the first field with an error (`.is-invalid` or
 *     aria-invalid="true"), scrolled into view, whatever else the page asked for;
 *  2. nothing more happens when something already has focus or asked for it (`autofocus`),
 *     when the address names an anchor (#appointment-12: the page was sent there), or when
 *     the browser restored a scrolled position (back, reload);
 *  3. otherwise the first visible, enabled input, select or textarea of the first form in
 *     <main> that qualifies takes focus, if it is on the first screen (a form further down is
 *     not what the page is for, and focusing it would scroll the page away from its top).
 *
 * A form qualifies unless it, or something around it, has `data-no-autofocus`. A GET form
 * (a search box or the filters of a list, a calendar, a report) qualifies only when marked
 * `data-autofocus` (or when its field has `autofocus`): on such pages the content is the
 * purpose, and a focused field would swallow the keyboard shortcuts (static/core/shortcuts.js)
 * that never fire while one types in a field.
 */
(function () {
  "use strict";

  var FIELDS =
    "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset])" +
    ":not([type=image]), select, textarea";

  function usable(field) {
    if (field.disabled || field.readOnly) return false;
    if (field.closest("[data-no-autofocus], [hidden], [inert], fieldset:disabled")) return false;
    if (field.getClientRects().length === 0) return false;
    var style = window.getComputedStyle(field);
    return style.visibility !== "hidden" && style.display !== "none";
  }

  function onFirstScreen(field) {
    var box = field.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  }

  function qualifies(form) {
    if (form.closest("[data-no-autofocus]")) return false;
    var method = (form.getAttribute("method") || "get").toLowerCase();
    return method !== "get" || form.hasAttribute("data-autofocus");
  }

  function firstError(main) {
    var marked = main.querySelectorAll(".is-invalid, [aria-invalid='true']");
    for (var i = 0; i < marked.length; i++) {
      var field = marked[i].matches(FIELDS) ? marked[i] : marked[i].querySelector(FIELDS);
      if (field && usable(field)) return field;
    }
    return null;
  }

  function firstField(main) {
    var forms = main.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) {
      if (!qualifies(forms[i])) continue;
      var fields = forms[i].querySelectorAll(FIELDS);
      for (var j = 0; j < fields.length; j++) {
        if (usable(fields[j])) return onFirstScreen(fields[j]) ? fields[j] : null;
      }
    }
    return null;
  }

  function somethingHasFocus() {
    var active = document.activeElement;
    return active && active !== document.body && active !== document.documentElement;
  }

  function askedForFocus() {
    var asked = document.querySelectorAll("[autofocus]");
    for (var i = 0; i < asked.length; i++) {
      if (usable(asked[i])) return true;
    }
    return false;
  }

  function start() {
    var main = document.querySelector("main");
    if (!main) return;
    var error = firstError(main);
    if (error) {
      error.focus();
      return;
    }
    if (somethingHasFocus() || askedForFocus()) return;
    if (window.location.hash.length > 1 || window.scrollY > 0) return;
    var field = firstField(main);
    if (field) field.focus({ preventScroll: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
