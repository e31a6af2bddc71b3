/* The booking page.
 *
 * - The patient search (#patient-search, htmx) and its suggestions work from the keyboard: ↓
 *   goes to the first suggestion, ↑ ↓ Home End move between them, Escape goes back to the box,
 *   Enter on a suggestion picks it (it is a button); Enter in the box searches at once instead
 *   of submitting the booking.
 * - Once a patient is picked, the "Book appointment" button takes the focus when a slot is
 *   chosen, else the first filter of the doctor and time.
 * - Enter in the reason books, as the button next to it would.
 * - The summary of the folded "Doctor and time" follows the slot chosen in the picker.
 */
(function () {
  "use strict";

  var form = document.getElementById("booking-form");
  if (!form) return;

  function suggestions() {
    return Array.prototype.slice.call(form.querySelectorAll("[data-patient-suggestion]"));
  }

  function searchBox() {
    return form.querySelector("#patient-search");
  }

  function moveAmong(items, current, key) {
    var index = items.indexOf(current);
    if (key === "ArrowDown") return items[Math.min(index + 1, items.length - 1)];
    if (key === "ArrowUp") return index > 0 ? items[index - 1] : searchBox();
    if (key === "Home") return items[0];
    if (key === "End") return items[items.length - 1];
    if (key === "Escape") return searchBox();
    return null;
  }

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    var items = suggestions();
    if (target.id === "patient-search") {
      if (event.key === "ArrowDown" && items.length) {
        event.preventDefault();
        items[0].focus();
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (window.htmx) window.htmx.trigger(target, "search");
      }
    } else if (target.hasAttribute && target.hasAttribute("data-patient-suggestion")) {
      var next = moveAmong(items, target, event.key);
      if (next) {
        event.preventDefault();
        next.focus();
      }
    } else if (target.name === "reason" && event.key === "Enter") {
      var book = document.getElementById("book-button");
      if (book) {
        event.preventDefault();
        book.click();
      }
    }
  });

  function chosenSlot() {
    return form.querySelector("input[name=slot]:checked");
  }

  function updateSummary() {
    var summary = form.querySelector("[data-booking-summary]");
    var slot = chosenSlot();
    if (summary && slot && slot.dataset.summary) summary.textContent = slot.dataset.summary;
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "slot") updateSummary();
  });

  // htmx:load fires on each element an htmx swap brought in.
  document.addEventListener("htmx:load", function (event) {
    var added = event.target;
    if (!(added instanceof Element) || !form.contains(added)) return;
    if (added.id === "slot-picker" || added.closest("#slot-picker")) updateSummary();
    if (added.id === "booking-patient" && added.querySelector("input[name=patient]")) {
      var next = chosenSlot()
        ? document.getElementById("book-button")
        : form.querySelector(".booking-when select");
      if (next) next.focus();
    }
  });

  // The box has the focus as soon as it is drawn, before htmx has wired it up: what was typed
  // by then raised no search. Once htmx is ready (its own DOMContentLoaded handler ran first,
  // its script being earlier in the page), search for it.
  function searchTypedEarly() {
    var box = searchBox();
    if (box && box.value && window.htmx && !suggestions().length) {
      window.htmx.trigger(box, "search");
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", searchTypedEarly);
  } else {
    searchTypedEarly();
  }
})();
