/* The room's queue for clinicians: call the next patient and open their record. */
"use strict";

(function () {
  const root = document.getElementById("clinic");
  if (!root || !root.dataset.room) return;
  const T = SH.texts("clinic-text");
  const facility = root.dataset.facility;
  const room = root.dataset.room;
  const message = document.getElementById("clinic-message");

  function say(text, kind) {
    message.textContent = text;
    message.className = "alert " + (kind || "");
    message.hidden = !text;
  }

  async function openRecord(ticketId) {
    const r = await SH.request("POST", `/api/emr/encounters/from-ticket/${ticketId}`, {});
    if (!r.ok) { say(SH.errorMessage(r.body, T.unknown), "error"); return; }
    window.location.href = `/clinic/${facility}/encounters/${r.body.id}`;
  }

  function item(ticket, withOpen) {
    const children = [SH.el("strong", { text: ticket.display }),
                      SH.el("span", { text: " " + (ticket.person_name || "") })];
    if (withOpen) {
      children.push(SH.el("button", { type: "button", class: "button small", text: T.open,
                                      onclick: () => openRecord(ticket.id) }));
    }
    return SH.el("li", {}, children);
  }

  async function refresh() {
    const r = await SH.request("GET", `/api/reception/rooms/${facility}/${room}/queue`);
    if (!r.ok) { say(SH.errorMessage(r.body, T.unknown), "error"); return; }
    const serving = document.getElementById("serving");
    const waiting = document.getElementById("waiting");
    serving.replaceChildren(...(r.body.serving.length
      ? r.body.serving.map((t) => item(t, true)) : [SH.el("li", { class: "muted", text: T.none })]));
    waiting.replaceChildren(...(r.body.waiting.length
      ? r.body.waiting.map((t) => item(t, false))
      : [SH.el("li", { class: "muted", text: T.nobody })]));
  }

  document.getElementById("call-next").addEventListener("click", async () => {
    const r = await SH.request("POST", `/api/reception/rooms/${facility}/${room}/call-next`, {});
    if (!r.ok) { say(SH.errorMessage(r.body, T.nobody), "error"); await refresh(); return; }
    await openRecord(r.body.id);
  });
  refresh();
  setInterval(refresh, 4000);
})();
