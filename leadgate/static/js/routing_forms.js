// The routing forms, made lighter to use; each works without this file too.
//   A condition row (routing/_conditions_table.html): its "Fact" box
//   shows only when the field chosen is "Another fact" (data-fact-choice).
//   The hours grid (routing/_hours_grid.html): a closed day's times are
//   disabled, so they are not sent (the server ignores them anyway).
//   A seat's hours (fieldset[data-hours-mode]): the grid shows only with
//   "Own hours" chosen.
(function () {
  "use strict";
  function syncFact(select) {
    var box = document.querySelector('[data-fact-name-of="' + select.id + '"]');
    if (box) box.hidden = select.value !== select.dataset.factChoice;
  }
  function syncDay(box) {
    var row = box.closest("tr");
    if (!row) return;
    row.querySelectorAll("input.hours-time").forEach(function (input) {
      input.disabled = !box.checked;
    });
  }
  function syncMode(fieldset) {
    var grid = document.getElementById(fieldset.dataset.hoursMode);
    var own = fieldset.querySelector('input[type="radio"][value="own"]');
    if (grid && own) grid.hidden = !own.checked;
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.matches) return;
    if (target.matches("select[data-fact-choice]")) syncFact(target);
    if (target.matches("input.hours-open")) syncDay(target);
    if (target.matches('input[type="radio"]') && target.closest("fieldset[data-hours-mode]")) {
      syncMode(target.closest("fieldset[data-hours-mode]"));
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-fact-choice]").forEach(syncFact);
    document.querySelectorAll("input.hours-open").forEach(syncDay);
    document.querySelectorAll("fieldset[data-hours-mode]").forEach(syncMode);
  });
})();
