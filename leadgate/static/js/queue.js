// The live desk: re-fetch the queue's rows when the server says it changed
// (server-sent events from /desk/events), and tick the SLA countdowns.
// Without JavaScript the page still works: reload it.
(function () {
  "use strict";
  var box = document.getElementById("queue");
  if (!box || !window.EventSource) return;
  var fetching = false, again = false;

  // A browser notification for each hot (SLA) lead that appears while the
  // desk is open, once the user allowed them (the button asks).
  function hotLeads() {
    var found = {};
    box.querySelectorAll("tr.reason-sla[data-lead]").forEach(function (row) {
      var link = row.querySelector("a");
      found[row.dataset.lead] = {name: link ? link.textContent.trim() : "", href: link ? link.href : ""};
    });
    return found;
  }
  var known = hotLeads();
  function announce() {
    var now = hotLeads();
    Object.keys(now).forEach(function (id) {
      if (known[id] || !window.Notification || Notification.permission !== "granted") return;
      var note = new Notification("New hot lead", {body: now[id].name, tag: "lead-" + id});
      note.onclick = function () { window.focus(); window.location.href = now[id].href; };
    });
    known = now;
  }
  var ask = document.getElementById("notify-on");
  if (ask && window.Notification && Notification.permission === "default") {
    ask.hidden = false;
    ask.addEventListener("click", function () {
      Notification.requestPermission().then(function () { ask.hidden = true; });
    });
  }

  function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch(box.dataset.rowsUrl, {credentials: "same-origin", headers: {"HX-Request": "true"}})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var hadFocus = box.contains(document.activeElement);
        box.innerHTML = html;
        tick();
        announce();
        // desk_keys.js puts its cursor back on the rows drawn anew.
        box.dispatchEvent(new CustomEvent("queue:redrawn", {bubbles: true, detail: {hadFocus: hadFocus}}));
      })
      .catch(function () {})
      .then(function () { fetching = false; if (again) { again = false; refresh(); } });
  }

  function tick() {
    var now = Date.now();
    box.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var left = Math.round((Date.parse(el.getAttribute("datetime")) - now) / 1000);
      var s = Math.abs(left), text = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
      // An hour or more (an inbound clock, a lead back from nurture): hours and
      // minutes read better than "187:22".
      if (s >= 3600) {
        text = Math.floor(s / 3600) + " h " + String(Math.floor(s / 60) % 60).padStart(2, "0") + " min";
      }
      el.textContent = left >= 0 ? text + " left" : "overdue " + text;
      el.classList.toggle("overdue", left < 0);
    });
  }

  // The browser reconnects by itself when a stream ends (the server ends each
  // one after ~25 s), sending Last-Event-ID so nothing is missed.
  var source = new EventSource(box.dataset.eventsUrl);
  source.addEventListener("queue", refresh);
  function live(on) {
    var badge = document.getElementById("queue-live");
    if (badge) badge.hidden = !on;
  }
  source.addEventListener("open", function () { live(true); });
  // The server has no stream free: it asks to come back in 15 s; until then
  // the rows are re-fetched at each try (polling), and the page is not "live".
  source.addEventListener("busy", function () { live(false); refresh(); });
  tick();
  setInterval(tick, 1000);
})();
