/* The patient's phone: the ticket's position and estimated wait, live over SSE. */
"use strict";

(function () {
  const token = encodeURIComponent(document.body.dataset.token);
  const T = SH.texts("phone-text");
  let lastStatus = null;

  function render(data) {
    if (!data || !data.display) return;
    document.getElementById("phone-facility").textContent = data.facility_name || "";
    document.getElementById("phone-number").textContent = data.display;
    document.getElementById("phone-room").textContent = data.room_name || "";
    const status = data.status || "waiting";
    const next = status === "waiting" && data.position === 1;
    const text = next ? T.next_up : (T[status] || T.waiting);
    const box = document.getElementById("phone-status");
    box.textContent = SH.fill(text, { room: data.room_name || "" });
    box.className = "phone-status status-" + status;
    document.body.dataset.status = status;
    const waiting = status === "waiting";
    document.getElementById("phone-position").textContent =
      waiting && data.position != null ? String(Math.max(data.position - 1, 0)) : "—";  // 1 = next
    const wait = data.estimated_wait_minutes;
    document.getElementById("phone-wait").textContent = !waiting ? "—" :
      (wait == null ? "—" : (wait <= 0 ? T.now : SH.fill(T.minutes, { minutes: wait })));
    if (status === "called" && lastStatus !== "called" && lastStatus !== null && navigator.vibrate) {
      navigator.vibrate([400, 200, 400]);
    }
    lastStatus = status;
  }

  SH.request("GET", `/api/reception/tickets/by-token/${token}`).then((res) => {
    if (res.status === 404) {
      const box = document.getElementById("phone-status");
      box.textContent = T.not_found;
      box.className = "phone-status status-skipped";
    }
  });
  SH.live(`/api/reception/tickets/by-token/${token}/events`, "ticket",
    `/api/reception/tickets/by-token/${token}`, render);
})();
