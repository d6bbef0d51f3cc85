// judge ui: the keyboard of the Label page (1-9 score, n = n/a, s = skip, u = undo). No build step.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(document.activeElement)) return;
    var card = document.getElementById("label-card");
    if (!card) return;
    // One request at a time: a key pressed while the last one is in flight is ignored, so a fast
    // typist never labels an item twice or undoes before the label it undoes is stored.
    if (card.querySelector(".htmx-request") || card.classList.contains("htmx-request")) return;
    var key = ev.key.toLowerCase();
    var button = card.querySelector('button[data-key="' + (key === "backspace" ? "u" : key) + '"]');
    if (button && !button.disabled) {
      ev.preventDefault();
      button.click();
    }
  });
})();
