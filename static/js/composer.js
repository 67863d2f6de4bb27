// Composer behaviours htmx doesn't cover: one-click voice fixes and the preview layout.
(function () {
  "use strict";

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-apply-fix]");
    if (!button) return;
    var field = document.getElementById(button.dataset.target);
    if (!field) return;
    var start = Number(button.dataset.start), end = Number(button.dataset.end);
    var value = field.value;
    if (end > value.length || value.slice(start, end) !== button.dataset.original) {
      window.plumeToast && window.plumeToast("The text changed; the suggestions are refreshing.", "info");
      return;
    }
    field.value = value.slice(0, start) + button.dataset.suggestion + value.slice(end);
    var caret = start + button.dataset.suggestion.length;
    field.focus();
    field.setSelectionRange(caret, caret);
    // Let autosave and the previews see the change as if it was typed.
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });

  function applyMode() {
    var select = document.getElementById("preview-mode");
    var grid = document.getElementById("previews");
    if (!select || !grid) return;
    grid.dataset.mode = select.value;
    grid.querySelectorAll(".pv").forEach(function (card) {
      card.hidden = select.value !== "all" && card.id !== "preview-" + select.value;
    });
  }
  document.addEventListener("change", function (evt) {
    if (evt.target.id === "preview-mode") applyMode();
  });
  // Cards swapped in while typing keep the chosen layout.
  document.addEventListener("htmx:afterSettle", applyMode);
})();
