// Keys for working lead after lead, on the desk and the lead page (read from
// the page's ids rather than inline handlers, which the Content-Security-Policy
// forbids). Never while typing in a field (input, select, textarea): Esc in a
// field of the touch form leaves it, and the keys work again.
//   j / k    the next / previous lead of the queue. On the lead page: the link
//            "Next lead" (#next-lead after a touch, else #queue-next) and
//            "Previous" (#queue-prev). On the desk: the queue's rows (the lead's
//            link gets the focus, Enter opens it).
//   c, then a number   the touch form's channel (its n-th choice);
//   d, then a number   its disposition (10 and up: two digits, "d 1 1").
//   n, t, v  to the notes, the next step, the verdict.
//   Ctrl+Enter  log the touch.   ?  show or hide the key legend.
// Why not accesskey (Alt+C...): Chromium does not deliver those the way the
// page announced them, and Alt+digit switches tabs in Chromium on Linux;
// plain keys in a sequence reach the page in every browser.
// "Open the next lead after logging" (#then-next, a field of the touch form,
// so the server decides) is remembered in localStorage: it is a habit of the
// person at this browser, and needs no setting on the server.
(function () {
  "use strict";
  var STORE = "leadgate.thenNext";
  var PICKS = {c: ["touch-channel", "Channel"], d: ["touch-disposition", "Disposition"]};
  var FOCUS = {n: "touch-notes", t: "touch-next-title", v: "touch-verdict"};
  var pending = null; // a "c" or "d" waiting for its number: {select, what, digits, timer}
  var deskLead = null, deskIndex = -1; // the desk row the keys are on: its lead, its place

  function byId(id) { return document.getElementById(id); }
  function typing(target) {
    var field = target && target.closest &&
      target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]");
    // A checkbox or a button is no place to type in.
    if (field && field.tagName === "INPUT" && /^(checkbox|radio|button|submit|reset)$/.test(field.type)) return null;
    return field;
  }
  function say(text) {
    var out = byId("key-pending");
    if (out) out.textContent = text;
  }

  // --- c / d then a number ---------------------------------------------------------------
  function choices(select) {
    return Array.prototype.filter.call(select.options, function (o) { return o.value !== ""; });
  }
  function endPick() {
    if (pending) clearTimeout(pending.timer);
    pending = null;
  }
  function startPick(key) {
    var select = byId(PICKS[key][0]);
    if (!select) return false;
    endPick();
    pending = {select: select, what: PICKS[key][1], digits: "", timer: setTimeout(endPick, 2000)};
    say(pending.what + ": press a number, 1 to " + choices(select).length);
    return true;
  }
  function pickDigit(digit) {
    var list = choices(pending.select), n = parseInt(pending.digits + digit, 10);
    if (!(n >= 1 && n <= list.length)) { endPick(); return; }
    pending.digits += digit;
    var select = pending.select, option = list[n - 1];
    select.value = option.value;
    select.dispatchEvent(new Event("change", {bubbles: true}));
    say(pending.what + ": " + option.textContent.trim());
    // "1" may still become 10 or 11: a second digit may follow, for a moment.
    if (n * 10 > list.length) { endPick(); return; }
    clearTimeout(pending.timer);
    pending.timer = setTimeout(endPick, 1200);
  }

  // --- j / k -----------------------------------------------------------------------------
  function deskRows() {
    return Array.prototype.slice.call(
      document.querySelectorAll("#queue-leads tr[data-lead], #desk-leads tr[data-lead]"));
  }
  function moveOnDesk(rows, step) {
    var at = -1;
    rows.forEach(function (row, index) {
      if (row.contains(document.activeElement) && document.activeElement !== document.body) at = index;
      else if (at < 0 && row.dataset.lead === deskLead) at = index;
    });
    var to = at < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.min(Math.max(at + step, 0), rows.length - 1);
    rows.forEach(function (row) { row.classList.remove("key-current"); });
    var row = rows[to], link = row.querySelector("a[href]");
    row.classList.add("key-current");
    deskLead = row.dataset.lead;
    deskIndex = to;
    if (link) link.focus();
  }
  // The live queue redraws its rows when a lead arrives or leaves (queue.js):
  // the keys stay on the same lead, or, if it left the queue, on the row that
  // took its place, and the focus comes back if it was in the queue.
  document.addEventListener("queue:redrawn", function (event) {
    var rows = deskRows();
    if (deskIndex < 0 || !rows.length) return;
    var to = Math.min(deskIndex, rows.length - 1);
    rows.forEach(function (row, index) { if (row.dataset.lead === deskLead) to = index; });
    var row = rows[to], link = row.querySelector("a[href]");
    row.classList.add("key-current");
    deskLead = row.dataset.lead;
    deskIndex = to;
    if (link && event.detail && event.detail.hadFocus) link.focus();
  });
  function go(link) {
    if (link && link.href) window.location.assign(link.href);
  }

  function toggleLegend() {
    var legend = byId("key-legend"), button = byId("key-legend-toggle");
    if (!legend) return;
    legend.hidden = !legend.hidden;
    if (button) button.setAttribute("aria-expanded", String(!legend.hidden));
  }

  document.addEventListener("keydown", function (event) {
    var form = byId("touch-form"), target = event.target;
    if (event.defaultPrevented || event.isComposing) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      if (form && (!typing(target) || target.form === form)) {
        event.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    if (event.key === "Escape" && form && typing(target) && target.form === form) {
      target.blur();
      return;
    }
    if (typing(target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (pending && /^[0-9]$/.test(event.key)) {
      event.preventDefault();
      pickDigit(event.key);
      return;
    }
    endPick();
    var key = event.key;
    if (key === "?") {
      event.preventDefault();
      toggleLegend();
    } else if (key === "j" || key === "k") {
      var rows = deskRows();
      event.preventDefault();
      if (rows.length) moveOnDesk(rows, key === "j" ? 1 : -1);
      else if (key === "j") go(byId("next-lead") || byId("queue-next"));
      else go(byId("queue-prev"));
    } else if (form && PICKS[key]) {
      if (startPick(key)) event.preventDefault();
    } else if (form && FOCUS[key] && byId(FOCUS[key])) {
      event.preventDefault();
      byId(FOCUS[key]).focus();
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("#key-legend-toggle")) toggleLegend();
  });

  // "Open the next lead after logging": remembered per browser.
  function restoreThenNext() {
    var box = byId("then-next"), saved = null;
    if (!box) return;
    try { saved = window.localStorage.getItem(STORE); } catch (e) { /* storage off */ }
    if (saved !== null) box.checked = saved === "1";
  }
  document.addEventListener("change", function (event) {
    if (event.target.id !== "then-next") return;
    try { window.localStorage.setItem(STORE, event.target.checked ? "1" : "0"); } catch (e) { /* storage off */ }
  });
  document.addEventListener("htmx:load", restoreThenNext); // the panel, re-rendered after a touch
  restoreThenNext();
})();
