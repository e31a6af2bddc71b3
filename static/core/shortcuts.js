/* Keyboard shortcuts for the desk, listed on the help overlay (#shortcuts-help, base.html):
 *
 *   /            the page's search box: `[data-shortcut="search"]` in <main>, else a search
 *                field of <main>, else the navigation bar's "Find a patient" box
 *   n            new booking: clicks `[data-shortcut="new-booking"]`
 *   [  ]         previous / next day: click `[data-shortcut="previous-day"]` / `"next-day"`
 *   Alt+← Alt+→  the same (Alt+← is the browser's Back only where the page has no such link)
 *   ?            opens the help overlay; Escape closes it (Bootstrap's modal)
 *
 * None fires while one types in a field (input, select, textarea, anything editable), with
 * Ctrl or Cmd held, or while a dialog is open; a shortcut whose target the page lacks does
 * nothing and lets the key through.
 */
(function () {
  "use strict";

  var HELP_ID = "shortcuts-help";

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(
      target.closest("input, select, textarea, [contenteditable]:not([contenteditable='false'])")
    );
  }

  function visible(element) {
    return element && element.getClientRects().length > 0 && !element.closest("[hidden], [inert]");
  }

  function first(selector, root) {
    var found = (root || document).querySelectorAll(selector);
    for (var i = 0; i < found.length; i++) {
      if (visible(found[i])) return found[i];
    }
    return null;
  }

  function searchBox() {
    var main = document.querySelector("main");
    return (
      (main && first("[data-shortcut='search']", main)) ||
      (main && first("input[type='search']", main)) ||
      first("[data-shortcut='search']")
    );
  }

  function focusSearch() {
    var box = searchBox();
    if (!box) return false;
    box.focus();
    if (typeof box.select === "function") box.select();
    return true;
  }

  function click(name) {
    var target = first("[data-shortcut='" + name + "']");
    if (!target || target.disabled || target.getAttribute("aria-disabled") === "true") {
      return false;
    }
    target.click();
    return true;
  }

  function openHelp() {
    var element = document.getElementById(HELP_ID);
    if (!element || !window.bootstrap) return false;
    window.bootstrap.Modal.getOrCreateInstance(element).show();
    return true;
  }

  function dialogOpen() {
    return document.querySelector(".modal.show, dialog[open]") !== null;
  }

  var KEYS = {
    "/": focusSearch,
    n: function () {
      return click("new-booking");
    },
    "[": function () {
      return click("previous-day");
    },
    "]": function () {
      return click("next-day");
    },
    "?": openHelp,
  };
  var ALT_KEYS = {
    ArrowLeft: KEYS["["],
    ArrowRight: KEYS["]"],
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.metaKey) return;
    if (typing(event.target) || dialogOpen()) return;
    var action = event.altKey ? ALT_KEYS[event.key] : KEYS[event.key];
    if (action && action()) event.preventDefault();
  });
})();
