/* Leadgate form embed.
 *
 *   <script src="https://leadgate.example/static/leadgate/embed.js" data-form="KEY" async></script>
 *
 * Draws the form where the script tag is, and sends it with fetch() as JSON, showing
 * the thank-you message or the error (naming the field) in place. Every text from
 * the server is set with textContent, never as HTML.
 */
(function () {
  "use strict";

  function endpoint(script, key) {
    // The app's root is where /static/leadgate/embed.js is served from.
    var src = script.src;
    var root = src.replace(/static\/leadgate\/embed\.js([?#].*)?$/, "");
    if (root === src) root = new URL("/", src).href;
    return root + "f/" + encodeURIComponent(key);
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) node.textContent = text;
    return node;
  }

  function field(spec, key) {
    var id = "lg-" + key + "-" + spec.name;
    var p = el("p", { "class": "leadgate-field" });
    p.appendChild(el("label", { "for": id }, spec.label));
    p.appendChild(el("br"));
    var input = spec.type === "textarea"
      ? el("textarea", { rows: "4" })
      : el("input", { type: spec.type || "text" });
    input.id = id;
    input.name = spec.name;
    input.maxLength = spec.max_length;
    p.appendChild(input);
    return p;
  }

  function render(box, def, key, url) {
    var form = el("form", { method: "post", action: url, "class": "leadgate-form", novalidate: "" });
    def.fields.forEach(function (spec) { form.appendChild(field(spec, key)); });
    var trap = el("div", {
      "aria-hidden": "true",
      style: "position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden"
    });
    var trapLabel = el("label", {}, "Leave this empty ");
    trapLabel.appendChild(el("input", { type: "text", name: def.honeypot, tabindex: "-1", autocomplete: "off" }));
    trap.appendChild(trapLabel);
    form.appendChild(trap);
    if (def.consent_text) {
      var consent = el("p");
      var label = el("label");
      label.appendChild(el("input", { type: "checkbox", name: def.consent_field, value: "yes" }));
      label.appendChild(document.createTextNode(" " + def.consent_text));
      consent.appendChild(label);
      form.appendChild(consent);
    }
    var status = el("p", { "class": "leadgate-status", role: "status", "aria-live": "polite" });
    var button = el("button", { type: "submit" }, "Send");
    var actions = el("p");
    actions.appendChild(button);
    form.appendChild(actions);
    form.appendChild(status);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(form, def, url, status, button, box);
    });
    box.appendChild(form);
  }

  function collect(form, def) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name) return;
      if (input.type === "checkbox") data[input.name] = input.checked;
      else data[input.name] = input.value;
    });
    return data;
  }

  function submit(form, def, url, status, button, box) {
    button.disabled = true;
    status.className = "leadgate-status";
    status.textContent = "Sending…";
    fetch(url, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(collect(form, def))
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { ok: response.ok, status: response.status, body: body };
      });
    }).then(function (answer) {
      button.disabled = false;
      if (answer.ok) {
        if (def.redirect_url) { window.location.assign(def.redirect_url); return; }
        var thanks = el("p", { "class": "leadgate-thanks", role: "status" }, def.thank_you);
        box.replaceChildren(thanks);
        return;
      }
      var message = answer.body.detail || ("The form could not be sent (" + answer.status + ").");
      status.className = "leadgate-status leadgate-error";
      status.textContent = message;
      var bad = answer.body.field && form.elements.namedItem(answer.body.field);
      if (bad && bad.focus) { bad.setAttribute("aria-invalid", "true"); bad.focus(); }
    }).catch(function () {
      button.disabled = false;
      status.className = "leadgate-status leadgate-error";
      status.textContent = "The form could not be sent; please check your connection and try again.";
    });
  }

  function start(script) {
    if (script.getAttribute("data-leadgate-started")) return;
    script.setAttribute("data-leadgate-started", "1");
    var key = script.getAttribute("data-form");
    var url = endpoint(script, key);
    var box = el("div", { id: "leadgate-form-" + key, "class": "leadgate-embed" });
    script.parentNode.insertBefore(box, script);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "omit" })
      .then(function (response) {
        if (!response.ok) throw new Error("form " + key + ": " + response.status);
        return response.json();
      })
      .then(function (def) { render(box, def, key, url); })
      .catch(function (error) {
        box.appendChild(el("p", { "class": "leadgate-error" }, "This form is not available."));
        if (window.console) console.error("Leadgate embed:", error);
      });
  }

  // document.currentScript is this tag while it runs (async included); also pick
  // up any other embed tags of the page not started yet.
  var scripts = Array.prototype.slice.call(document.querySelectorAll("script[data-form]"));
  if (document.currentScript && scripts.indexOf(document.currentScript) < 0) scripts.push(document.currentScript);
  scripts.forEach(function (script) {
    if (/embed\.js([?#].*)?$/.test(script.src || "")) start(script);
  });
})();
