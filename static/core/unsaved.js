// Asks before leaving a page whose form holds changes not saved yet.
//
// Every <form data-guard-unsaved> is guarded. The value of each of its fields is recorded when
// the page has loaded, and that of a field added later (an htmx swap) when it arrives, so a swap
// that adds fields is no change by itself. While a field differs from its recorded value,
// leaving the page asks first: a link on the page with a confirm(), anything else (reload,
// closing the tab, the address bar, submitting another form) with the browser's own
// "Leave site?" dialog (beforeunload). Submitting the guarded form itself does not ask, and an
// htmx request leaves the page where it is, so it never asks either.
//
// An element with `data-guard-changed` inside a guarded form (or on it) says that the server
// sent back typing it did not save (a form shown again with its errors, say): the form counts
// as changed for as long as that element is there.
(function () {
  "use strict";

  const GUARDED = "form[data-guard-unsaved]";
  const FIELDS = "input, select, textarea";
  const NOT_TYPED = ["hidden", "submit", "button", "reset", "image"];
  const QUESTION = "This page has changes that are not saved. Leave it and lose them?";

  const recorded = new WeakMap(); // field -> its value when the page (or the field) arrived
  const touched = new WeakSet(); // fields the person has typed in: recorded once, kept
  let submitted = null; // the guarded form being submitted, which may leave the page
  let leaving = false; // leaving was confirmed (link) or asked for by the server (htmx)

  function isField(element) {
    return (
      element.matches(FIELDS) &&
      !NOT_TYPED.includes(element.type) &&
      !element.hasAttribute("data-guard-ignore") &&
      element.form !== null &&
      element.form.matches(GUARDED)
    );
  }

  function valueOf(field) {
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked ? "on" : "";
    }
    if (field.tagName === "SELECT") {
      return Array.from(field.selectedOptions, (option) => option.value).join("\n");
    }
    return field.value;
  }

  // Records the fields in (or at) `root` that have no recorded value yet; with `again`, also
  // those recorded already that the person has not touched (the page's own scripts may set
  // values until it has loaded).
  function record(root, again) {
    if (!(root instanceof Element)) {
      return;
    }
    const candidates = root.matches(FIELDS) ? [root] : root.querySelectorAll(FIELDS);
    for (const field of candidates) {
      if (isField(field) && (!recorded.has(field) || (again && !touched.has(field)))) {
        recorded.set(field, valueOf(field));
      }
    }
  }

  function isChanged(form) {
    if (form.matches("[data-guard-changed]") || form.querySelector("[data-guard-changed]")) {
      return true;
    }
    return Array.from(form.elements).some(
      (field) => recorded.has(field) && isField(field) && recorded.get(field) !== valueOf(field),
    );
  }

  // Whether leaving now would lose changes.
  function losesChanges() {
    return (
      !leaving &&
      Array.from(document.querySelectorAll(GUARDED)).some(
        (form) => form !== submitted && isChanged(form),
      )
    );
  }

  function leavesPage(link) {
    if (link.hasAttribute("download") || (link.target && link.target !== "_self")) {
      return false;
    }
    const url = new URL(link.href, window.location.href);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return false;
    }
    const here = window.location;
    const samePage =
      url.origin === here.origin && url.pathname === here.pathname && url.search === here.search;
    return !(samePage && link.getAttribute("href").includes("#"));
  }

  function start() {
    record(document.body, false);
    new MutationObserver((mutations) => {
      for (const mutation of mutations) {
        mutation.addedNodes.forEach((node) => record(node, false));
      }
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  window.addEventListener("load", () => record(document.body, true));
  // htmx gives new elements the attributes of the old ones of the same id until the swap has
  // settled (values included): what arrived is known once it has.
  document.addEventListener("htmx:load", (event) => record(event.target, true));
  document.addEventListener("input", (event) => touched.add(event.target), true);

  // On window, so that every other handler (htmx's, the page's) has had its say first: a
  // submission or a click that one of them cancelled does not leave the page.
  window.addEventListener("submit", (event) => {
    if (!event.defaultPrevented && event.target.matches(GUARDED)) {
      submitted = event.target;
    }
  });

  window.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0) {
      return;
    }
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return; // a new tab or window: this page stays
    }
    const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
    if (link === null || !leavesPage(link) || !losesChanges()) {
      return;
    }
    if (window.confirm(QUESTION)) {
      leaving = true; // asked once: the beforeunload below does not ask again
    } else {
      event.preventDefault();
    }
  });

  window.addEventListener("beforeunload", (event) => {
    const loses = losesChanges();
    // The navigation this was for may still not happen (a download, a 204): ask next time.
    submitted = null;
    leaving = false;
    if (loses) {
      event.preventDefault();
      event.returnValue = ""; // browsers before the standard preventDefault()
    }
  });

  window.addEventListener("pageshow", () => {
    submitted = null;
    leaving = false;
  });

  // A server that answers an htmx request with a full navigation has decided to leave.
  document.addEventListener("htmx:beforeOnLoad", (event) => {
    const xhr = event.detail.xhr;
    if (xhr.getResponseHeader("HX-Redirect") || xhr.getResponseHeader("HX-Refresh") === "true") {
      leaving = true;
    }
  });
})();
