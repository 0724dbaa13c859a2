/* Waiting-hall board: called numbers and the next few per room, live over SSE, with a spoken call. */
"use strict";

(function () {
  const body = document.body;
  const facility = encodeURIComponent(body.dataset.facility);
  const room = body.dataset.room;
  const T = SH.texts("board-text");
  const query = room ? `?room=${encodeURIComponent(room)}` : "";
  const state = { lastCall: null, version: null, soundBlocked: false };
  const toggle = document.getElementById("sound-toggle");

  function callKey(call) {
    return call ? `${call.display}|${call.room_name}|${call.called_at}|${call.recalls || 0}` : null;
  }

  function roomCard(r) {
    const called = r.called || [];
    const current = called.length ? called[0].display : "—";
    const next = (r.next || []).slice(0, room ? 8 : 4);
    return SH.el("article", { class: "room-card", "data-room": r.room_code }, [
      SH.el("h2", { class: "room-name", text: r.room_name || r.room_code }),
      SH.el("p", { class: "room-label", text: T.called }),
      SH.el("p", { class: "room-current", text: current }),
      SH.el("p", { class: "room-label", text: T.next }),
      SH.el("p", { class: "room-next", text: next.length ? next.join("  ·  ") : T.none }),
    ]);
  }

  function render(data) {
    if (!data || !data.rooms) return;
    if (data.version && data.version === state.version) return;
    state.version = data.version;
    const title = data.facility ? data.facility.name : body.dataset.facility;
    const rooms = room ? data.rooms.filter((r) => r.room_code === room) : data.rooms;
    const roomTitle = room && rooms.length ? rooms[0].room_name : "";
    document.getElementById("board-title").textContent = roomTitle ? `${roomTitle} · ${title}` : title;
    const container = document.getElementById("board-rooms");
    container.innerHTML = "";
    if (!rooms.length) container.appendChild(SH.el("p", { class: "board-empty", text: T.empty }));
    rooms.forEach((r) => container.appendChild(roomCard(r)));
    const call = data.last_call;
    announce(room && call && rooms.length && call.room_name !== rooms[0].room_name ? null : call);
  }

  function announce(call) {
    const key = callKey(call) || "";
    const first = state.lastCall === null;
    if (key === state.lastCall) return;
    state.lastCall = key;
    if (!call) return;
    const banner = document.getElementById("board-call");
    document.getElementById("call-number").textContent = call.display;
    document.getElementById("call-room").textContent = `${T.to_room} ${call.room_name || ""}`;
    banner.hidden = false;
    if (first) return;  // do not replay the last call when the board is (re)opened
    banner.classList.remove("flash");
    void banner.offsetWidth;
    banner.classList.add("flash");
    document.querySelectorAll(`.room-card`).forEach((card) => {
      const current = card.querySelector(".room-current");
      card.classList.toggle("just-called", current && current.textContent === call.display);
    });
    play(call);
  }

  function play(call) {
    const url = `/boards/${facility}/call.wav?display=${encodeURIComponent(call.display)}` +
      `&room=${encodeURIComponent(call.room_name || "")}`;
    const audio = new Audio(url);
    audio.play().catch(() => { toggle.hidden = false; });
  }

  toggle.addEventListener("click", () => {
    toggle.hidden = true;
    const unlock = new Audio(`/boards/${facility}/call.wav?display=0&room=`);
    unlock.volume = 0.01;
    unlock.play().catch(() => { toggle.hidden = false; });
  });

  function tick() {
    document.getElementById("board-clock").textContent = new Date().toLocaleTimeString("vi-VN",
      { timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit" });
  }
  tick();
  setInterval(tick, 10000);

  SH.live(`/api/reception/boards/${facility}/events${query}`, "board",
    `/api/reception/boards/${facility}${query}`, render);
})();
