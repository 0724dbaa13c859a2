/* Reception desk: check-in by keyboard (scan or a person found by search) and ticket output. */
"use strict";

(function () {
  const root = document.getElementById("desk");
  const facility = encodeURIComponent(root.dataset.facility);
  const T = SH.texts("desk-text");
  const scan = document.getElementById("desk-scan");
  const personId = document.getElementById("desk-person-id");
  const selected = document.getElementById("desk-selected");
  const result = document.getElementById("desk-result");
  let key = SH.uuid();

  function clear() {
    scan.value = "";
    personId.value = "";
    selected.hidden = true;
    key = SH.uuid();
    scan.focus();
  }

  async function loadServices() {
    const res = await SH.request("GET", `/api/reception/facilities/${facility}/services?kind=exam`);
    if (!res.ok || !Array.isArray(res.body)) return;
    const select = document.getElementById("desk-service");
    res.body.forEach((s) => select.appendChild(SH.el("option", { value: s.code,
      text: `${s.name}${s.room_name ? " — " + s.room_name : ""}` })));
  }

  function showError(body) {
    result.innerHTML = "";
    result.appendChild(SH.el("p", { class: "alert error", role: "alert", text: SH.errorMessage(body, T.unknown) }));
  }

  function showTicket(data) {
    const t = data.ticket;
    const c = data.coverage || {};
    result.innerHTML = "";
    const card = SH.el("div", { class: "desk-ticket" }, [
      SH.el("p", { class: "desk-ticket-number", text: SH.fill(T.ticket, { display: t.display, room: t.room_name || "" }) }),
      SH.el("p", { text: `${(data.person && data.person.full_name) || ""} · ${(data.person && data.person.cccd_masked) || ""}` }),
      SH.el("p", { class: "coverage coverage-" + (c.decision || "unverified"),
        text: (SH.lang === "en" ? c.message_en : c.message_vi) || c.decision || "" }),
      SH.el("p", { text: SH.fill(T.position, { position: data.position == null ? "—" : data.position }) }),
      SH.el("p", { text: data.estimated_wait_minutes == null ? "" : SH.fill(T.wait, { minutes: data.estimated_wait_minutes }) }),
    ]);
    const links = SH.el("p", { class: "desk-links" }, [
      SH.el("a", { class: "button small", target: "_blank", href: `/reception/${facility}/tickets/${t.id}/ticket.png`, text: T.png }),
      SH.el("a", { class: "button small", target: "_blank", href: `/reception/${facility}/tickets/${t.id}/ticket.pdf`, text: T.pdf }),
      SH.el("button", { type: "button", class: "button small", text: T.print, onclick: () => print(t.id) }),
      SH.el("a", { class: "button small", target: "_blank", href: t.status_url, text: T.status_page }),
    ]);
    card.appendChild(links);
    result.appendChild(card);
  }

  async function print(ticketId) {
    const res = await SH.request("POST", `/kiosk/${facility}/tickets/${ticketId}/print`);
    result.appendChild(SH.el("p", { text: res.ok && res.body && res.body.printed ? T.printed : T.not_printed }));
  }

  document.getElementById("checkin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { facility_code: root.dataset.facility, idempotency_key: key,
      service_code: document.getElementById("desk-service").value || null,
      priority: document.getElementById("desk-priority").value || null };
    if (scan.value.trim()) body.scan = scan.value.trim();
    else if (personId.value) body.person_id = Number(personId.value);
    else { showError({ error: { message_vi: T.need_scan, message_en: T.need_scan } }); return; }
    const res = await SH.request("POST", "/api/reception/check-ins", body);
    if (!res.ok) return showError(res.body);
    showTicket(res.body);
    clear();
  });
  document.getElementById("desk-clear").addEventListener("click", clear);

  document.getElementById("search-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const params = new URLSearchParams();
    [["name", "search-name"], ["birth_date", "search-birth"], ["phone", "search-phone"]].forEach(([k, id]) => {
      const v = document.getElementById(id).value.trim();
      if (v) params.set(k, v);
    });
    const res = await SH.request("GET", `/api/identity/persons?${params}`);
    const table = document.getElementById("search-results");
    const tbody = table.querySelector("tbody");
    tbody.innerHTML = "";
    if (!res.ok) return showError(res.body);
    const people = Array.isArray(res.body) ? res.body : (res.body.items || []);
    people.forEach((p) => tbody.appendChild(SH.el("tr", {}, [
      SH.el("td", { text: p.full_name || "" }),
      SH.el("td", { text: (p.birth_date || "").split("-").reverse().join("/") }),
      SH.el("td", { text: p.cccd_masked || SH.maskCccd(p.cccd) }),
      SH.el("td", {}, [SH.el("button", { type: "button", class: "button small", text: T.select, onclick: () => {
        // A person with a CCCD is checked in by that number (the scan field accepts bare ID
        // numbers); without one the desk sends person_id (needs the backend's person_id variant).
        personId.value = p.id;
        scan.value = p.cccd || "";
        selected.textContent = SH.fill(T.selected, { name: p.full_name });
        selected.hidden = false;
        key = SH.uuid();
      } })]),
    ])));
    table.hidden = !people.length;
    document.getElementById("search-empty").hidden = !!people.length;
  });

  loadServices();
})();
