/* Room console: the room's queue with call next / recall / skip / return / transfer / done. */
"use strict";

(function () {
  const root = document.getElementById("room");
  const facility = encodeURIComponent(root.dataset.facility);
  const room = encodeURIComponent(root.dataset.room);
  const T = SH.texts("room-text");
  const message = document.getElementById("room-message");

  function say(text, isError) {
    message.textContent = text;
    message.className = "alert" + (isError ? " error" : " ok");
    message.hidden = !text;
  }

  async function act(url, payload) {
    const res = await SH.request("POST", url, payload);
    if (!res.ok) say(SH.errorMessage(res.body, T.unknown), true);
    else say("", false);
    await load();
    return res;
  }

  function actionButton(label, cls, onclick) {
    return SH.el("button", { type: "button", class: "button small " + cls, text: label, onclick });
  }

  function transferControls(t) {
    const input = SH.el("input", { class: "room-input", placeholder: T.to_room, "aria-label": T.to_room, size: "8" });
    const back = SH.el("input", { type: "checkbox", checked: "checked" });
    return SH.el("span", { class: "transfer" }, [input,
      SH.el("label", {}, [back, document.createTextNode(" " + T.and_back)]),
      actionButton(T.transfer, "", () => input.value.trim() && act(`/api/reception/tickets/${t.id}/transfer`,
        { to_room_code: input.value.trim(), return_after: back.checked }))]);
  }

  function item(t, kind) {
    const actions = [];
    if (kind === "serving") {
      actions.push(actionButton(T.recall, "", () => act(`/api/reception/tickets/${t.id}/recall`)));
      actions.push(actionButton(T.skip, "", () => act(`/api/reception/tickets/${t.id}/skip`)));
      actions.push(actionButton(T.done, "primary", () => act(`/api/reception/tickets/${t.id}/done`)));
      actions.push(transferControls(t));
    } else if (kind === "skipped") {
      actions.push(actionButton(T.return, "", () => act(`/api/reception/tickets/${t.id}/return`)));
    }
    return SH.el("li", { class: "ticket-item", "data-display": t.display }, [
      SH.el("strong", { class: "ticket-display", text: t.display }),
      SH.el("span", { class: "ticket-person", text: t.person_name || "" }),
      SH.el("span", { class: "ticket-actions" }, actions),
    ]);
  }

  async function load() {
    const res = await SH.request("GET", `/api/reception/rooms/${facility}/${room}/queue`);
    if (!res.ok) { say(SH.errorMessage(res.body, T.unknown), true); return; }
    const q = res.body;
    if (q.room && q.room.name) document.getElementById("room-title").textContent = q.room.name;
    ["serving", "waiting", "skipped", "away"].forEach((kind) => {
      const list = document.getElementById("list-" + kind);
      list.innerHTML = "";
      const tickets = q[kind] || [];
      if (!tickets.length) list.appendChild(SH.el("li", { class: "muted", text: T.empty }));
      tickets.forEach((t) => list.appendChild(item(t, kind)));
    });
  }

  document.getElementById("call-next").addEventListener("click", async () => {
    const res = await act(`/api/reception/rooms/${facility}/${room}/call-next`);
    if (res.status === 404 || res.status === 409) say(SH.errorMessage(res.body, T.nobody), false);
  });
  load();
  setInterval(load, 5000);
})();
