/* Kiosk check-in: scan -> confirm who you are -> choose the service -> ticket -> reset.
 *
 * Input channels (all end in the same onScan(payload)):
 *  - a QR/barcode scanner acting as a keyboard types the payload then Enter into #scan-input,
 *    which the page keeps focused (inputmode="none": no on-screen keyboard pops up);
 *  - a chip-card reader app that can "type" its JSON the same way, or that runs inside the
 *    kiosk browser and delivers it with window.postMessage({type: "smarthealth-scan",
 *    payload: "<json>"}, location.origin) or document.dispatchEvent(new CustomEvent(
 *    "smarthealth-scan", {detail: "<json>"})).
 */
"use strict";

(function () {
  const body = document.body;
  const facility = body.dataset.facility;
  const resetSeconds = Number(body.dataset.resetSeconds || 20);
  const T = SH.texts("kiosk-text");
  const input = document.getElementById("scan-input");
  const state = { step: "scan", payload: null, key: null, timer: null, countdown: null };

  function show(step) {
    state.step = step;
    document.querySelectorAll(".step").forEach((s) => s.classList.toggle("active", s.dataset.step === step));
    body.dataset.step = step;
    clearTimeout(state.timer);
    clearInterval(state.countdown);
    if (step !== "scan" && step !== "busy") {
      state.timer = setTimeout(reset, (step === "ticket" ? resetSeconds : 60) * 1000);
    }
    keepFocus();
  }

  function reset() {
    state.payload = null;
    state.key = null;
    document.getElementById("service-list").innerHTML = "";
    show("scan");
  }

  function fail(message, withHelp) {
    document.getElementById("error-text").textContent = message;
    document.getElementById("error-help").hidden = !withHelp;  // server messages get a next step
    show("error");
  }

  function keepFocus() {
    if (document.activeElement !== input) input.focus({ preventScroll: true });
  }

  /** The kiosk's sign-in expired: back to the sign-in page, which returns here afterwards. */
  function signedOut(res) {
    if (res.status !== 401) return false;
    location.href = "/login?next=" + encodeURIComponent(location.pathname);
    return true;
  }

  function isMissingEndpoint(res) {
    const err = res.body && res.body.error;
    return (res.status === 404 || res.status === 405) && (!err || err.details == null) &&
      (!err || err.message_en === "Not found." || err.code === "method_not_allowed");
  }

  async function onScan(raw) {
    const payload = String(raw || "").trim();
    if (!payload || state.step === "busy") return;
    state.payload = payload;
    state.key = SH.uuid();
    show("busy");
    const res = await SH.request("POST", "/api/identity/scan", { payload });
    if (signedOut(res)) return;
    if (res.ok) {
      const person = res.body.person || {};
      return person.full_name ? confirmPerson(person) : chooseService();  // a bare BHYT code
    }
    if (isMissingEndpoint(res)) return chooseService();  // recognition step not available
    fail(res.status === 0 ? T.network : SH.errorMessage(res.body, T.unknown), res.status !== 0);
  }

  function confirmPerson(person) {
    document.getElementById("who-name").textContent = person.full_name || "";
    document.getElementById("who-cccd").textContent = person.cccd_masked || SH.maskCccd(person.cccd);
    document.getElementById("who-birth").textContent = formatDate(person.birth_date);
    show("confirm");
  }

  function formatDate(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    return m ? `${m[3]}/${m[2]}/${m[1]}` : (iso || "");
  }

  async function chooseService() {
    show("busy");
    const res = await SH.request("GET", `/api/reception/facilities/${encodeURIComponent(facility)}/services?kind=exam`);
    const services = res.ok && Array.isArray(res.body) ? res.body : [];
    if (services.length <= 1) return checkIn(services.length ? services[0].code : null);
    const list = document.getElementById("service-list");
    list.innerHTML = "";
    services.sort((a, b) => (b.default ? 1 : 0) - (a.default ? 1 : 0)).forEach((s) => {
      const button = SH.el("button", { type: "button", class: "btn btn-service" + (s.default ? " default" : ""),
        "data-code": s.code, onclick: () => checkIn(s.code) }, [
        SH.el("span", { class: "service-name", text: s.name }),
        SH.el("span", { class: "service-room", text: s.room_name || "" }),
      ]);
      if (s.default) button.appendChild(SH.el("span", { class: "service-tag", text: T.recommended }));
      list.appendChild(button);
    });
    show("service");
  }

  async function checkIn(serviceCode) {
    show("busy");
    const payload = { scan: state.payload, facility_code: facility, service_code: serviceCode,
      idempotency_key: state.key, priority: null };
    let res = await SH.request("POST", "/api/reception/check-ins", payload);
    if (res.status === 0) res = await SH.request("POST", "/api/reception/check-ins", payload);
    if (signedOut(res)) return;
    if (!res.ok) return fail(res.status === 0 ? T.network : SH.errorMessage(res.body, T.unknown), res.status !== 0);
    showTicket(res.body);
  }

  /** [kind, headline, next step] for the coverage banner, in plain words. */
  function coverageText(coverage) {
    const c = coverage || {};
    const decision = c.decision || "unverified";
    if (decision === "valid" || decision === "valid_with_warning") {
      return [decision, c.benefit_rate != null ? SH.fill(T.valid, { rate: c.benefit_rate }) : T.valid_no_rate, ""];
    }
    if (decision === "invalid") {
      const reason = SH.lang === "en" ? c.message_en : c.message_vi;  // e.g. "the card has expired"
      return ["invalid", reason || T.invalid_title, T.invalid];
    }
    return ["unverified", T.unverified, ""];
  }

  function showTicket(result) {
    const ticket = result.ticket;
    const [kind, headline, nextStep] = coverageText(result.coverage);
    const banner = document.getElementById("coverage-banner");
    banner.className = "banner banner-" + kind;
    banner.textContent = headline;
    if (nextStep) banner.appendChild(SH.el("small", { text: nextStep }));
    document.getElementById("ticket-number").textContent = ticket.display;
    document.getElementById("ticket-room").textContent = ticket.room_name || "";
    document.getElementById("ticket-service").textContent = (result.service && result.service.name) || "";
    const wait = result.estimated_wait_minutes;
    document.getElementById("ticket-wait").textContent = wait == null ? "" : SH.fill(T.wait, { minutes: wait });
    document.getElementById("ticket-qr").src = `/t/${encodeURIComponent(ticket.token)}/qr.png`;
    document.getElementById("print-note").textContent = "";
    show("ticket");
    startCountdown();
    printTicket(ticket.id);
  }

  async function printTicket(ticketId) {
    const res = await SH.request("POST", `/kiosk/${encodeURIComponent(facility)}/tickets/${ticketId}/print`);
    const printed = res.ok && res.body && res.body.printed;
    document.getElementById("print-note").textContent = printed ? T.printed : T.not_printed;
  }

  function startCountdown() {
    let left = resetSeconds;
    const node = document.getElementById("countdown");
    node.textContent = SH.fill(T.seconds, { seconds: left });
    state.countdown = setInterval(() => {
      left -= 1;
      node.textContent = left > 0 ? SH.fill(T.seconds, { seconds: left }) : "";
    }, 1000);
  }

  input.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    const value = input.value;
    input.value = "";
    onScan(value);
  });
  input.addEventListener("blur", () => setTimeout(keepFocus, 50));
  document.addEventListener("click", () => setTimeout(keepFocus, 50));
  setInterval(keepFocus, 1000);
  window.addEventListener("message", (ev) => {
    if (ev.origin === location.origin && ev.data && ev.data.type === "smarthealth-scan") onScan(ev.data.payload);
  });
  document.addEventListener("smarthealth-scan", (ev) => onScan(ev.detail));

  document.getElementById("btn-yes").addEventListener("click", chooseService);
  document.getElementById("btn-no").addEventListener("click", () => fail(T.not_me));
  document.getElementById("btn-cancel-service").addEventListener("click", reset);
  document.getElementById("btn-done").addEventListener("click", reset);
  document.getElementById("btn-retry").addEventListener("click", reset);
  SH.request("GET", `/api/reception/boards/${encodeURIComponent(facility)}`).then((res) => {
    if (res.ok && res.body && res.body.facility) {
      document.getElementById("facility-name").textContent = res.body.facility.name;
    }
  });
  show("scan");
})();
