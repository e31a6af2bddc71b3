/* The ICD-10-CM code picker (clinical.code_picker): a box whose suggestions come with htmx.
 *
 * From the box, ↓ goes to the first suggestion; among them ↑ ↓ Home End move, Escape goes
 * back to the box, and Enter (or a click) picks one: its code goes in the box, its title
 * shows below it, and the focus goes back to the box. Nothing else on the page changes, so
 * nothing typed elsewhere is touched.
 */
(function () {
  "use strict";

  function rootOf(element) {
    return element.closest("[data-code-picker-root]");
  }

  function suggestionsOf(root) {
    return Array.prototype.slice.call(root.querySelectorAll("[data-code-suggestion]"));
  }

  function boxOf(root) {
    return root.querySelector("[data-code-picker]");
  }

  function setExpanded(root) {
    var box = boxOf(root);
    if (box) box.setAttribute("aria-expanded", suggestionsOf(root).length ? "true" : "false");
  }

  function pick(button) {
    var root = rootOf(button);
    var box = boxOf(root);
    box.value = button.dataset.code;
    var picked = root.querySelector("[data-code-picked]");
    if (picked) {
      picked.textContent = "";
      var badge = document.createElement("span");
      badge.className = "badge text-bg-info";
      badge.textContent = button.dataset.code;
      picked.appendChild(badge);
      picked.appendChild(document.createTextNode(" " + button.dataset.title));
    }
    root.querySelector("[data-code-suggestions]").textContent = "";
    setExpanded(root);
    box.focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-code-suggestion]");
    if (button) {
      event.preventDefault();
      pick(button);
    }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var root = rootOf(target);
    if (!root) return;
    var items = suggestionsOf(root);
    if (target.hasAttribute("data-code-picker")) {
      if (event.key === "ArrowDown" && items.length) {
        event.preventDefault();
        items[0].focus();
      } else if (event.key === "Escape" && items.length) {
        event.preventDefault();
        root.querySelector("[data-code-suggestions]").textContent = "";
        setExpanded(root);
      }
      return;
    }
    if (!target.hasAttribute("data-code-suggestion")) return;
    var index = items.indexOf(target);
    var next = null;
    if (event.key === "ArrowDown") next = items[Math.min(index + 1, items.length - 1)];
    else if (event.key === "ArrowUp") next = index > 0 ? items[index - 1] : boxOf(root);
    else if (event.key === "Home") next = items[0];
    else if (event.key === "End") next = items[items.length - 1];
    else if (event.key === "Escape") next = boxOf(root);
    else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      pick(target);
      return;
    }
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  // A new search shows new suggestions: the box says whether it has some. Typing again
  // after a pick forgets the picked title (the box no longer holds that code).
  document.addEventListener("htmx:afterSwap", function (event) {
    var root = event.target instanceof Element ? rootOf(event.target) : null;
    if (root) setExpanded(root);
  });
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (!(target instanceof Element) || !target.hasAttribute("data-code-picker")) return;
    var picked = rootOf(target).querySelector("[data-code-picked]");
    if (picked && picked.querySelector(".badge") && picked.querySelector(".badge").textContent !== target.value.trim()) {
      picked.textContent = "";
    }
  });
})();
