/* Shared helpers for the reception pages (no framework, no build step). */
"use strict";

window.SH = (function () {
  const lang = document.documentElement.lang || "vi";

  function texts(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, (m, key) =>
      values[key] === undefined ? m : values[key]);
  }

  /** The error message in the page's language from the platform's error JSON. */
  function errorMessage(body, fallback) {
    const err = body && body.error;
    if (!err) return fallback;
    return (lang === "en" ? err.message_en : err.message_vi) || fallback;
  }

  /** fetch() returning {ok, status, body}; never throws (network errors give status 0). */
  async function request(method, url, payload) {
    const init = { method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (payload !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    try {
      const response = await fetch(url, init);
      let body = null;
      try { body = await response.json(); } catch (e) { body = null; }
      return { ok: response.ok, status: response.status, body };
    } catch (e) {
      return { ok: false, status: 0, body: null };
    }
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    });
    (children || []).forEach((c) => node.appendChild(c));
    return node;
  }

  /** Subscribe to server-sent events, falling back to polling the JSON if SSE breaks. */
  function live(eventsUrl, eventName, jsonUrl, onData) {
    let source = null;
    let pollTimer = null;
    async function poll() {
      const res = await request("GET", jsonUrl);
      if (res.ok) onData(res.body);
    }
    function startPolling() {
      if (!pollTimer) pollTimer = setInterval(poll, 3000);
    }
    poll();
    if (window.EventSource) {
      source = new EventSource(eventsUrl);
      source.addEventListener(eventName, (ev) => {
        try { onData(JSON.parse(ev.data)); } catch (e) { /* ignore a broken frame */ }
      });
      source.onerror = () => { if (source.readyState === EventSource.CLOSED) startPolling(); };
    } else {
      startPolling();
    }
  }

  /** A CCCD number shown with only its first 3 and last 3 digits. */
  function maskCccd(value) {
    const v = String(value || "");
    return v.length > 6 ? v.slice(0, 3) + "*".repeat(v.length - 6) + v.slice(-3) : v;
  }

  return { lang, texts, maskCccd, fill, errorMessage, request, uuid, el, live };
})();
