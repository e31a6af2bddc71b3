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
 * - `[data-move]` (a scheduled appointment, for those who may move it) can be dragged onto a
 *   free cell (`[data-drop-time]`, any doctor's): asked first in words, then posted through
 *   `[data-move-form]` (its CSRF token in the page) to appointments/drag_pages.py, which
 *   moves it only to a slot the availability engine offers. Without a pointer, the
 *   appointment's link leads to its Reschedule button.
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

  var moveForm = document.querySelector("[data-move-form]");
  var dragged = null;

  function dropTarget(event) {
    var cell = event.target.closest && event.target.closest("[data-drop-time]");
    return dragged && cell ? cell : null;
  }

  function clearOver() {
    var over = document.querySelectorAll(".cal-drop-over");
    for (var i = 0; i < over.length; i++) over[i].classList.remove("cal-drop-over");
  }

  if (moveForm) {
    document.addEventListener("dragstart", function (event) {
      var cell = event.target.closest && event.target.closest("[data-move]");
      if (!cell) return;
      dragged = cell;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", cell.getAttribute("data-move-what"));
      cell.classList.add("cal-dragging");
      document.body.classList.add("cal-moving");
    });
    document.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("cal-dragging");
      document.body.classList.remove("cal-moving");
      clearOver();
      dragged = null;
    });
    document.addEventListener("dragover", function (event) {
      var cell = dropTarget(event);
      if (!cell) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      if (!cell.classList.contains("cal-drop-over")) {
        clearOver();
        cell.classList.add("cal-drop-over");
      }
    });
    document.addEventListener("dragleave", function (event) {
      var cell = dropTarget(event);
      if (cell && !cell.contains(event.relatedTarget)) cell.classList.remove("cal-drop-over");
    });
    document.addEventListener("drop", function (event) {
      var cell = dropTarget(event);
      if (!cell) return;
      event.preventDefault();
      var source = dragged;
      clearOver();
      var question =
        "Move " + source.getAttribute("data-move-what") + " to " +
        cell.getAttribute("data-drop-time") + " with " + cell.getAttribute("data-drop-name") + "?";
      if (!window.confirm(question)) return;
      moveForm.elements.appointment.value = source.getAttribute("data-move");
      moveForm.elements.doctor.value = cell.getAttribute("data-drop-doctor");
      moveForm.elements.day.value = cell.getAttribute("data-drop-day");
      moveForm.elements.time.value = cell.getAttribute("data-drop-time");
      moveForm.submit();
    });
  }
})();
