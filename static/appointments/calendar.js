/* The calendars and the day list.
 *
 * - The grid's box fills the screen below the page's top (--calendar-top), so the whole day
 *   is on one screen with the doctors' row and the times column in sight, and the page itself
 *   does not scroll. --calendar-head (the doctors' row's height) is what a cell scrolled to
 *   keeps clear of (its scroll-margin-top).
 * - `[data-highlight]` (the appointment just booked, ?highlight=), or the appointment the
 *   address names (#appointment-12), is brought into view: inside the grid's box just below
 *   the doctors' row, the page left at its top so that the message about it stays in sight;
 *   in the list (small screens), scrolled to the middle. Its link takes the keyboard focus,
 *   without scrolling.
 * - `[data-autosubmit]` (the specialty filter) shows its choice at once.
 * - `[data-print]` prints the page.
 */
(function () {
  "use strict";

  var box = document.querySelector("[data-calendar-scroll]");

  function shown(element) {
    return Boolean(element) && element.getClientRects().length > 0;
  }

  function fit() {
    if (!shown(box)) return;
    var top = box.getBoundingClientRect().top + window.scrollY;
    box.style.setProperty("--calendar-top", Math.round(top) + "px");
    var head = box.querySelector("thead");
    if (head) box.style.setProperty("--calendar-head", head.offsetHeight + "px");
  }

  function highlighted() {
    var marked = document.querySelectorAll("[data-highlight]");
    for (var i = 0; i < marked.length; i++) {
      if (shown(marked[i])) return marked[i];
    }
    // An address naming a visit (#appointment-12, from the appointment's page) is the same.
    var named = /^#appointment-\d+$/.test(window.location.hash)
      ? document.getElementById(window.location.hash.slice(1))
      : null;
    return shown(named) ? named : null;
  }

  function bringIntoView() {
    var cell = highlighted();
    if (!cell) return;
    if (box && box.contains(cell)) {
      var head = box.querySelector("thead");
      var times = box.querySelector("tbody .calendar-time");
      var cellBox = cell.getBoundingClientRect();
      var boxBox = box.getBoundingClientRect();
      var headHeight = head ? head.offsetHeight : 0;
      var timesWidth = times ? times.offsetWidth : 0;
      // A row of the hour before stays visible above the visit, for context.
      var rowAbove = Math.min(cell.offsetHeight, 24);
      box.scrollTop += cellBox.top - boxBox.top - headHeight - rowAbove;
      var left = cellBox.left - boxBox.left - timesWidth;
      var right = cellBox.right - boxBox.right;
      if (left < 0) box.scrollLeft += left - 8;
      else if (right > 0) box.scrollLeft += right + 8;
      window.scrollTo(0, 0);
    } else {
      cell.scrollIntoView({ block: "center" });
    }
    var link = cell.querySelector("a");
    if (link) link.focus({ preventScroll: true });
  }

  fit();
  bringIntoView();
  // Again once fonts and images have settled the layout.
  window.addEventListener("load", function () {
    fit();
    bringIntoView();
  });
  window.addEventListener("resize", fit);

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) {
      field.form.requestSubmit();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });
})();
