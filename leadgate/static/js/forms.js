// Small behaviours of forms, as data attributes read by this file rather than
// onsubmit="..." / onkeydown="...", which the Content-Security-Policy forbids.
//   <form data-confirm="Delete this?">: asks before it is sent.
//   <textarea data-submit-on="ctrl-enter">: Ctrl+Enter (Cmd+Enter) sends its form.
//   .tablecard: a table wider than the screen scrolls sideways in its card,
//   which then takes the keyboard's focus so the arrows scroll it (WCAG 2.1.1).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-confirm]") : null;
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  }, true);
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!field.matches || !field.matches("[data-submit-on=ctrl-enter]") || !field.form) return;
    event.preventDefault();
    field.form.requestSubmit();
  });
  function focusableWhenScrolling() {
    document.querySelectorAll(".tablecard:not([tabindex])").forEach(function (card) {
      if (card.scrollWidth > card.clientWidth) card.tabIndex = 0;
    });
  }
  document.addEventListener("DOMContentLoaded", focusableWhenScrolling);
  document.addEventListener("htmx:afterSettle", focusableWhenScrolling);
  window.addEventListener("resize", focusableWhenScrolling);
})();
