// Charts for the reports pages, drawn with the vendored Chart.js
// (leadgate/vendor/chart.umd.min.js, loaded before this file).
//
// Markup: a wrapper whose height comes from CSS (.chart, .chart.tall), a
// canvas naming its spec, and the spec itself from Django's json_script:
//
//   <div class="chart"><canvas data-chart="leads-by-month"></canvas></div>
//   {{ spec|json_script:"leads-by-month" }}
//
// The spec (built in Python):
//   {"type": "bar" | "hbar" | "line" | "stacked",
//    "labels": [...],
//    "datasets": [{"label": "MQLs", "data": [1, null, ...],
//                  "axis": "y" | "y2", "kind": "bar" | "line", "dashed": true}],
//    "format": "count" | "percent" | "money" | "days" | "seconds" | "minutes",
//    "format2": (the same, for the y2 axis), "currency": "EUR",
//    "title": "...", "x_title": "...", "y_title": "..."}
// "y" is the value axis and "x" the labels' axis, whichever way the bars run
// (in an "hbar" chart the values run across). Percent values are fractions.
//
// No inline script or style (the Content-Security-Policy allows none): the
// page loads this file, and Chart.js sizes the canvas through the CSSOM.
// Every chart's numbers are also in a table on the page, so the canvas is an
// image with a label, not the only way to read them.
(function () {
  "use strict";

  // Okabe-Ito: told apart with every common colour-vision deficiency.
  var palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
  var TYPES = ["bar", "hbar", "line", "stacked"];
  var FORMATS = ["count", "percent", "money", "days", "seconds", "minutes"];
  var DASH = [6, 4];

  function locale() {
    var lang = document.documentElement.lang || "en";
    try {
      return Intl.NumberFormat.supportedLocalesOf([lang]).length ? lang : "en";
    } catch (error) {
      return "en";  // not a language tag at all
    }
  }

  function numberFormat(options) {
    return new Intl.NumberFormat(locale(), options);
  }

  // A duration in the unit that reads best for its size: 45 s, 1.5 min, 2 h, 3.5 d.
  var UNITS = [{size: 1, suffix: " s"}, {size: 60, suffix: " min"},
               {size: 3600, suffix: " h"}, {size: 86400, suffix: " d"}];

  function unitFor(seconds) {
    var s = Math.abs(seconds), unit = UNITS[0];
    UNITS.forEach(function (u) { if (s >= u.size) unit = u; });
    return unit;
  }

  function formatDuration(seconds, unit) {
    unit = unit || unitFor(seconds);
    var digits = unit.size === 1 ? 0 : 1;
    return numberFormat({maximumFractionDigits: digits}).format(seconds / unit.size) + unit.suffix;
  }

  // format -> function(value[, durationUnit]) -> text.
  function formatter(format, currency) {
    var f;
    if (format === "percent") {
      f = numberFormat({style: "percent", maximumFractionDigits: 1});
      return function (v) { return f.format(v); };
    }
    if (format === "money") {
      try {
        f = numberFormat({style: "currency", currency: currency || "USD",
                          minimumFractionDigits: 0, maximumFractionDigits: 0});
      } catch (error) {  // not a currency code: the amount, then the code
        var plain = numberFormat({maximumFractionDigits: 0});
        return function (v) { return plain.format(v) + " " + currency; };
      }
      return function (v) { return f.format(v); };
    }
    if (format === "days") {
      f = numberFormat({minimumFractionDigits: 1, maximumFractionDigits: 1});
      return function (v) { return f.format(v) + " d"; };
    }
    if (format === "seconds") {
      return function (v, unit) { return formatDuration(v, unit); };
    }
    if (format === "minutes") {
      return function (v, unit) { return formatDuration(v * 60, unit); };
    }
    f = numberFormat({maximumFractionDigits: 0});  // count (grouping is the default)
    return function (v) { return f.format(v); };
  }

  function isDuration(format) {
    return format === "seconds" || format === "minutes";
  }

  // Tick step for a duration axis: 1, 2 or 5 times a power of ten in the unit
  // its largest value reads in, so the ticks are "0 h, 2 h, 4 h", not
  // "0 s, 2,000 s" or "0 h, 0.6 h, 1.1 h". In the axis's own units.
  function durationStep(values, format) {
    var toSeconds = format === "minutes" ? 60 : 1;
    var max = 0;
    values.forEach(function (v) { if (typeof v === "number" && isFinite(v)) max = Math.max(max, Math.abs(v)); });
    if (!max) return null;
    var unit = unitFor(max * toSeconds);
    var raw = max * toSeconds / unit.size / 5;
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var nice = [1, 2, 5, 10].find(function (n) { return n * power >= raw; });
    return {unit: unit, stepSize: nice * power * unit.size / toSeconds};
  }

  function readSpec(root, id) {
    var node = (root.querySelector && root.querySelector("#" + CSS.escape(id))) || document.getElementById(id);
    if (!node) throw new Error("no <script type=\"application/json\" id=\"" + id + "\"> holds its spec");
    var spec = JSON.parse(node.textContent);
    if (!spec || typeof spec !== "object") throw new Error("the spec is not an object");
    if (TYPES.indexOf(spec.type) < 0) throw new Error("unknown chart type " + JSON.stringify(spec.type));
    if (!Array.isArray(spec.labels)) throw new Error("\"labels\" is not a list");
    if (!Array.isArray(spec.datasets) || !spec.datasets.length) throw new Error("\"datasets\" is not a list of datasets");
    spec.datasets.forEach(function (d, i) {
      if (!d || !Array.isArray(d.data)) throw new Error("dataset " + i + " has no \"data\" list");
    });
    [spec.format, spec.format2].forEach(function (format) {
      if (format !== undefined && format !== null && FORMATS.indexOf(format) < 0) {
        throw new Error("unknown format " + JSON.stringify(format));
      }
    });
    return spec;
  }

  function cssVar(name, fallback) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
  }

  function reducedMotion() {
    return !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }

  function config(spec) {
    var horizontal = spec.type === "hbar";
    var stacked = spec.type === "stacked";
    var base = spec.type === "line" ? "line" : "bar";
    var valueKey = horizontal ? "x" : "y";  // where the values are, in Chart.js's terms
    var labelKey = horizontal ? "y" : "x";
    var format = spec.format || "count";
    var format2 = spec.format2 || format;
    var ink = cssVar("--ink", "#1d2430"), muted = cssVar("--muted", "#5d6778"), line = cssVar("--line", "#dfe3ea");
    var usesY2 = !horizontal && spec.datasets.some(function (d) { return d.axis === "y2"; });

    var axes = {y: {format: format, fmt: formatter(format, spec.currency), values: []}};
    if (usesY2) axes.y2 = {format: format2, fmt: formatter(format2, spec.currency), values: []};

    var datasets = spec.datasets.map(function (d, i) {
      var colour = palette[i % palette.length];
      var axis = usesY2 && d.axis === "y2" ? "y2" : "y";
      // A dashed dataset is a target line, drawn as a line even among bars.
      var kind = d.kind || (d.dashed ? "line" : base);
      axes[axis].values = axes[axis].values.concat(d.data);
      var dataset = {
        label: d.label || "",
        data: d.data,
        type: kind,
        borderColor: colour,
        backgroundColor: colour,
        lgAxis: axis,  // ours: which value axis's format its tooltip uses
      };
      dataset[valueKey + "AxisID"] = horizontal ? "x" : axis;
      if (kind === "line") {
        dataset.borderWidth = 2;
        dataset.pointRadius = d.dashed ? 0 : 3;
        dataset.pointHoverRadius = 5;
        dataset.tension = 0;
        dataset.fill = false;
        if (base === "bar") dataset.order = -1;  // a line over the bars, not hidden behind them
        if (d.dashed) dataset.borderDash = DASH;
        // On a stacked chart a line is a total or a target, never one more layer.
        if (stacked) dataset.stack = "line-" + i;
      } else if (stacked) {
        dataset.stack = "bars";
      }
      return dataset;
    });

    function valueScale(axis, position, title) {
      var a = axes[axis];
      var scale = {
        type: "linear",
        position: position,
        beginAtZero: true,
        stacked: stacked && axis === "y",
        grid: {color: line, drawOnChartArea: axis === "y"},
        border: {display: false},
        ticks: {color: muted},
      };
      var unit = null;
      if (isDuration(a.format)) {
        var step = durationStep(a.values, a.format);
        if (step) { scale.ticks.stepSize = step.stepSize; unit = step.unit; }
      } else if (a.format === "count" || a.format === "money") {
        scale.ticks.precision = 0;
      }
      scale.ticks.callback = function (value) { return a.fmt(value, unit); };
      if (title) scale.title = {display: true, text: title, color: ink};
      return scale;
    }

    var scales = {};
    scales[labelKey] = {stacked: stacked, grid: {display: false}, ticks: {color: muted}};
    if (spec.x_title) scales[labelKey].title = {display: true, text: spec.x_title, color: ink};
    scales[valueKey] = valueScale("y", horizontal ? "bottom" : "left", spec.y_title);
    if (usesY2) scales.y2 = valueScale("y2", "right", null);

    return {
      type: base,
      data: {labels: spec.labels, datasets: datasets},
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,  // the wrapper's CSS height decides
        animation: reducedMotion() ? false : {duration: 400},
        locale: locale(),
        color: ink,
        interaction: {mode: "index", intersect: false},
        scales: scales,
        plugins: {
          legend: {display: datasets.length > 1, position: "bottom", labels: {color: ink, boxWidth: 14}},
          title: {display: !!spec.title, text: spec.title || "", color: ink, font: {size: 14, weight: "600"}},
          tooltip: {
            callbacks: {
              label: function (context) {
                var value = context.parsed[valueKey];
                if (value === null || value === undefined || isNaN(value)) return null;
                var text = axes[context.dataset.lgAxis].fmt(value);
                return context.dataset.label ? context.dataset.label + ": " + text : text;
              },
            },
          },
        },
      },
    };
  }

  function label(spec) {
    if (spec.title) return spec.title;
    var names = spec.datasets.map(function (d) { return d.label; }).filter(Boolean);
    return names.length ? "Chart: " + names.join(", ") : "Chart";
  }

  function draw(canvas, root) {
    var Chart = window.Chart;
    // A chart already on this canvas goes first, even if the new spec turns
    // out bad: stale numbers after a filter change are worse than none.
    var old = Chart.getChart(canvas);
    if (old) old.destroy();
    var spec = readSpec(root, canvas.getAttribute("data-chart"));
    if (document.body) Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", label(spec));
    return new Chart(canvas, config(spec));
  }

  // Draws (or draws again) every chart in `root` (default: the document).
  // One chart's bad spec is logged and leaves the others drawn.
  function render(root) {
    root = root || document;
    if (!window.Chart) {
      console.error("leadgate charts: Chart.js is not loaded (load vendor/chart.umd.min.js first)");
      return [];
    }
    var canvases = Array.prototype.slice.call(root.querySelectorAll("canvas[data-chart]"));
    if (root.matches && root.matches("canvas[data-chart]")) canvases.unshift(root);
    var drawn = [];
    canvases.forEach(function (canvas) {
      try {
        drawn.push(draw(canvas, root));
      } catch (error) {
        console.error("leadgate charts: chart \"" + canvas.getAttribute("data-chart") + "\" not drawn: " + error.message);
      }
    });
    return drawn;
  }

  function onSwap(event) {
    var target = event.target;
    if (target && target.nodeType !== 1) target = target.parentElement;
    render(target && target.isConnected ? target : document);
  }

  function start() {
    document.body.addEventListener("htmx:afterSwap", onSwap);
    render(document);
  }

  window.leadgateCharts = {render: render, palette: palette.slice()};
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
