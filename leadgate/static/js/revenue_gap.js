// The revenue gap calculator's what-if controls (reports/_revenue_gap.html):
// the estimate is worked out again in the page whenever a control changes,
// without a reload.
//
// The measured inputs come from Python in a json_script element
// ("revenue-gap-inputs"); estimate() below is leadgate/reports/revenue_gap_figures.py
// estimate(), operation for operation and in the same order, so both give
// the same floats (tests/test_report_revenue_gap_browser.py compares them).
// Change one, change the other.
//
// Numbers read as in the report's tables (report_cells.py, keep them alike):
// "$1,234", "−$5", "12 %", "1.5 %", "1,234" (a no-break space before "%");
// amounts and percents rounded half to even, as Python does. No inline script or style: the Content-Security-Policy
// allows none.
(function () {
  "use strict";

  var WON = 6;  // lifecycle.FUNNEL.index(won)
  var NOT_WORKED_YET = 1;  // open cycles at inquiry or MQL
  var DASH = "—";

  // --- the estimate (revenue_gap.py) -------------------------------------------

  function lift(share, measured, ratio) {
    if (ratio === null || measured === null) return 1.0;
    return (share * ratio + 1 - share) / (measured * ratio + 1 - measured);
  }

  function chances(stages) {
    var chance = [];
    for (var k = 0; k <= WON; k++) chance.push(1.0);
    for (var i = WON - 1; i >= 0; i--) chance[i] = chance[i + 1] * stages[i];
    return chance;
  }

  function leadsNeeded(gap, conversion, deal) {
    if (gap === null || deal === null) return null;
    if (gap <= 0) return 0;
    var perLead = conversion * deal;
    return perLead > 0 ? Math.ceil(gap / perLead) : null;
  }

  function estimate(inputs, controls) {
    var factor = lift(controls.fast, inputs.fast_share, inputs.fast_ratio) *
      lift(controls.attempted, inputs.attempted_share, inputs.attempted_ratio);
    var chance = chances(controls.stages);
    var conversion = Math.min(1.0, chance[0] * factor);
    var deal = inputs.deal;
    var goal = controls.goal;
    var found = {factor: factor, conversion: conversion, inbound: null, nurture: null,
                 projected: null, gap: null, leads: null};
    if (deal === null) return found;
    var expected = 0.0;
    for (var i = 0; i < WON; i++) {
      expected += inputs.open[i] * chance[i] * (i <= NOT_WORKED_YET ? factor : 1.0);
    }
    found.inbound = expected * deal;
    var nurtured = inputs.in_nurture + (controls.nurtured - (inputs.nurtured_share || 0.0)) *
      inputs.long_term;
    found.nurture = Math.max(0.0, nurtured) * inputs.nurture_won * deal;
    found.projected = inputs.won + found.inbound + found.nurture;
    if (goal !== null) {
      found.gap = goal - found.projected;
      found.leads = leadsNeeded(found.gap, conversion, deal);
    }
    return found;
  }

  // --- numbers as the tables write them (report_cells.py) ----------------------

  // x with `digits` decimals, a tie rounded to the even digit (Python's way);
  // toFixed(100) gives the float's exact decimal expansion to find a tie.
  function fixed(x, digits) {
    var exact = Math.abs(x).toFixed(100);
    var dot = exact.indexOf(".");
    var rest = exact.slice(dot + 1 + digits);
    if (/^50*$/.test(rest)) {
      var last = digits ? exact.charAt(dot + digits) : exact.charAt(dot - 1);
      if (Number(last) % 2 === 0) {
        var kept = exact.slice(0, digits ? dot + 1 + digits : dot);
        return (x < 0 ? "-" : "") + kept;
      }
    }
    return x.toFixed(digits);
  }

  function grouped(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function money(value, sign) {
    var whole = fixed(value, 0);
    var negative = whole.charAt(0) === "-";
    var digits = negative ? whole.slice(1) : whole;
    var text = sign + grouped(digits);
    return negative && Number(digits) !== 0 ? "−" + text : text;
  }

  function percent(value) {
    var shown = value * 100, size = Math.abs(shown);
    var text = size >= 10 || shown === 0 ? grouped(fixed(size, 0)) : fixed(size, 1);
    return (shown < 0 ? "−" : "") + text + "\u00a0%";
  }

  function format(value, kind, sign) {
    if (value === null || value === undefined || !isFinite(value)) return DASH;
    if (kind === "money") return money(value, sign);
    if (kind === "percent") return percent(value);
    return grouped(String(Math.round(value)));
  }

  // --- the page ----------------------------------------------------------------

  function readInputs() {
    var node = document.getElementById("revenue-gap-inputs");
    return node ? JSON.parse(node.textContent) : null;
  }

  // The controls as estimate() takes them: fractions, the goal as an amount.
  // A field left at its measured value counts as the exact measured figure
  // (the field shows it to 0.1 %); an empty or impossible one too, marked.
  function readControls(form, inputs) {
    var controls = {goal: inputs.goal, fast: inputs.fast_share || 0.0,
                    attempted: inputs.attempted_share || 0.0,
                    nurtured: inputs.nurtured_share || 0.0, stages: inputs.stages.slice()};
    var bad = [];
    form.querySelectorAll("[data-whatif]").forEach(function (field) {
      var key = field.getAttribute("data-whatif");
      field.removeAttribute("aria-invalid");
      if (field.disabled || field.value === field.getAttribute("data-default")) return;
      var text = field.value.trim();
      var number = text === "" ? NaN : Number(text);
      if (key === "goal") {
        if (text === "") { controls.goal = null; return; }
        if (!isFinite(number) || number <= 0) { bad.push(field); return; }
        controls.goal = number;
        return;
      }
      if (!isFinite(number) || number < 0 || number > 100) { bad.push(field); return; }
      var share = number / 100;
      if (key.indexOf("stage") === 0) controls.stages[Number(key.slice(5))] = share;
      else controls[key] = share;
    });
    bad.forEach(function (field) { field.setAttribute("aria-invalid", "true"); });
    return {controls: controls, bad: bad};
  }

  function labelOf(field) {
    var label = document.querySelector("label[for='" + field.id + "']");
    return label ? label.textContent.trim() : field.id;
  }

  function update(section, inputs) {
    var form = section.querySelector("#whatif-form");
    var read = readControls(form, inputs);
    var found = estimate(inputs, read.controls);
    section.querySelectorAll("[data-out]").forEach(function (cell) {
      var value = found[cell.getAttribute("data-out")];
      cell.textContent = format(value, cell.getAttribute("data-kind"), inputs.sign);
      cell.setAttribute("data-value", value === null ? "" : String(value));
    });
    var status = section.querySelector("#whatif-status");
    if (read.bad.length) {
      status.textContent = "Left at the measured value (not a percent from 0 to 100, or not " +
        "an amount): " + read.bad.map(labelOf).join(", ") + ".";
    } else if (found.gap === null) {
      status.textContent = "What-if: no goal to compare with.";
    } else {
      status.textContent = "What-if: gap " + format(found.gap, "money", inputs.sign) +
        ", new leads needed " + format(found.leads, "count") + ".";
    }
  }

  function start() {
    var section = document.getElementById("whatif");
    var inputs = readInputs();
    if (!section || !inputs) return;
    var form = section.querySelector("#whatif-form");
    var recompute = function () { update(section, inputs); };
    form.addEventListener("input", recompute);
    form.addEventListener("change", recompute);
    // Enter in a what-if field recomputes; only the goal reloads the page.
    form.addEventListener("keydown", function (event) {
      var key = event.target.getAttribute && event.target.getAttribute("data-whatif");
      if (event.key === "Enter" && key && key !== "goal") {
        event.preventDefault();
        recompute();
      }
    });
    section.querySelector("#whatif-reset").addEventListener("click", function () {
      form.querySelectorAll("[data-whatif]").forEach(function (field) {
        field.value = field.getAttribute("data-default");
      });
      recompute();
    });
    recompute();
    section.setAttribute("data-ready", "true");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  // For tests and the console: the same estimate as the page's.
  window.leadgateRevenueGap = {estimate: estimate, format: format};
})();
