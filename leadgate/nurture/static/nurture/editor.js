// The step editor (nurture/cadence_edit.html): each step shows the fields of
// its kind (a wait has no words, a call no email body), following the kind
// select as it changes. Without this file every field shows, and the server
// ignores the ones a kind does not use. A file, not inline code: the
// Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";
  var form = document.getElementById("cadence-editor");
  if (!form) return;
  form.classList.add("kinds-live");
  form.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-step-kind]")) return;
    var card = select.closest(".step-card");
    if (card) card.dataset.kind = select.value;
  });
})();
