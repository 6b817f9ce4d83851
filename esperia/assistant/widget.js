/* Esperia chat widget: one <script src=".../assistant/widget.js"> on any page.
   Everything is drawn inside a shadow root (the host page's styles cannot
   break it, and it cannot break them); text is set with textContent only. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var base = new URL(script.src).origin;
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang || "it").slice(0, 2);
  var T = {
    it: { open: "Serve aiuto?", title: "Assistente", send: "Invia", placeholder: "Scrivi un messaggio…", source: "Fonte", error: "Al momento non riesco a rispondere. Riprova tra poco." },
    en: { open: "Need help?", title: "Assistant", send: "Send", placeholder: "Type a message…", source: "Source", error: "I can't answer right now. Please try again shortly." }
  }[lang === "en" ? "en" : "it"];
  var conversation = null;
  var host = document.createElement("div");
  host.id = "esperia-chat";
  document.body.appendChild(host);
  var root = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent = [
    ":host{all:initial}",
    ".btn{position:fixed;right:20px;bottom:20px;background:#1d4e89;color:#fff;border:0;border-radius:24px;padding:12px 18px;font:15px system-ui,sans-serif;cursor:pointer;box-shadow:0 2px 8px #0003}",
    ".panel{position:fixed;right:20px;bottom:76px;width:340px;max-height:70vh;display:none;flex-direction:column;background:#fff;border:1px solid #ccd;border-radius:10px;box-shadow:0 4px 16px #0003;font:14px system-ui,sans-serif;color:#222}",
    ".panel.open{display:flex}",
    ".head{padding:10px 14px;background:#1d4e89;color:#fff;border-radius:10px 10px 0 0;font-weight:600}",
    ".log{flex:1;overflow:auto;padding:10px;display:flex;flex-direction:column;gap:8px;min-height:160px}",
    ".msg{padding:8px 10px;border-radius:8px;white-space:pre-wrap;max-width:85%}",
    ".me{align-self:flex-end;background:#e6eef8}",
    ".bot{align-self:flex-start;background:#f3f3f3}",
    ".cite{font-size:12px;color:#555;margin-top:4px}",
    "form{display:flex;border-top:1px solid #ddd}",
    "input{flex:1;border:0;padding:10px;font:14px system-ui,sans-serif}",
    "button.send{border:0;background:#1d4e89;color:#fff;padding:0 14px;cursor:pointer;border-radius:0 0 10px 0}"
  ].join("");
  root.appendChild(style);
  var button = el("button", "btn", T.open);
  button.setAttribute("type", "button");
  var panel = el("div", "panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", T.title);
  panel.appendChild(el("div", "head", T.title));
  var log = el("div", "log");
  log.setAttribute("aria-live", "polite");
  panel.appendChild(log);
  var form = document.createElement("form");
  var input = document.createElement("input");
  input.setAttribute("aria-label", T.placeholder);
  input.placeholder = T.placeholder;
  input.maxLength = 1000;
  var send = el("button", "send", T.send);
  send.type = "submit";
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(button);
  button.addEventListener("click", function () {
    panel.classList.toggle("open");
    if (panel.classList.contains("open")) { input.focus(); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    log.appendChild(el("div", "msg me", text));
    var body = { message: text };
    if (conversation) { body.conversation_id = conversation; }
    fetch(base + "/api/v1/assistant/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (!result.ok) { throw new Error("chat error"); }
      var data = result.data;
      conversation = data.ended ? null : data.conversation_id;
      var bubble = el("div", "msg bot", data.reply);
      bubble.setAttribute("data-intent", data.intent || "");
      (data.citations || []).forEach(function (c) {
        var cite = el("div", "cite", T.source + ": " + c.title);
        cite.setAttribute("data-entry", c.entry_id);
        bubble.appendChild(cite);
      });
      log.appendChild(bubble);
      log.scrollTop = log.scrollHeight;
    }).catch(function () {
      log.appendChild(el("div", "msg bot", T.error));
    });
  });
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    node.className = cls;
    if (text) { node.textContent = text; }
    return node;
  }
})();
