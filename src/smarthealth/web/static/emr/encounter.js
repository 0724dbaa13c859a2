/* The encounter screen: header, vital signs, notes, diagnoses, orders, results, prescriptions,
   outcome, close and sign. Every write goes through the EMR API, which audits and versions it. */
"use strict";

(function () {
  const root = document.getElementById("encounter");
  if (!root) return;
  const T = SH.texts("enc-text");
  const id = root.dataset.id;
  const facility = root.dataset.facility;
  const base = `/api/emr/encounters/${id}`;
  const message = document.getElementById("enc-message");
  const icdCodes = new Map();
  const drugCodes = new Map();

  function say(text, kind) {
    message.textContent = text;
    message.className = "alert " + (kind || "");
    message.hidden = !text;
  }

  function warnings(body) {
    const list = (body && body.warnings) || [];
    return list.map((w) => (SH.lang === "en" ? w.message_en : w.message_vi) || w.message || w)
      .join(" · ");
  }

  function formData(form) {
    const out = {};
    new FormData(form).forEach((v, k) => { if (v !== "") out[k] = v; });
    return out;
  }

  async function withdraw(entry) {
    const reason = window.prompt(T.withdraw_reason);
    if (!reason) return;
    const r = await SH.request("POST", `/api/emr/entries/${entry.entry_id}/entered-in-error`,
                               { reason });
    say(r.ok ? T.withdrawn : SH.errorMessage(r.body, T.unknown), r.ok ? "ok" : "error");
    await loadRecord();
  }

  async function amendNote(entry) {
    const text = window.prompt(T.amend_text, entry.data.text);
    if (text === null || text === entry.data.text) return;
    const reason = window.prompt(T.amend_reason);
    if (!reason) return;
    const r = await SH.request("PUT", `/api/emr/entries/${entry.entry_id}`,
                               { data: { section: entry.data.section, text }, reason });
    say(r.ok ? T.saved : SH.errorMessage(r.body, T.unknown), r.ok ? "ok" : "error");
    await loadRecord();
  }

  /** One line per current entry, with "entered in error" (and "amend" for notes). */
  function list(idName, entries, render) {
    document.getElementById(idName).replaceChildren(...entries.map((e) => {
      const buttons = [SH.el("button", { type: "button", class: "link-button", text: T.withdraw,
                                         title: T.withdraw, onclick: () => withdraw(e) })];
      if (e.kind === "note") {
        buttons.unshift(SH.el("button", { type: "button", class: "link-button", text: T.amend,
                                          onclick: () => amendNote(e) }));
      }
      const version = e.version > 1 ? ` (v${e.version})` : "";
      return SH.el("li", {}, [SH.el("span", { text: render(e) + version }), ...buttons]);
    }));
  }

  async function loadHeader() {
    const r = await SH.request("GET", `/api/emr/persons/${root.dataset.person}/header`);
    if (!r.ok) return;
    const h = r.body;
    document.getElementById("ph-name").textContent = h.full_name;
    document.getElementById("ph-age").textContent =
      `${h.age_years} ${T.years} · ${T[h.sex] || h.sex}`;
    document.getElementById("ph-bhyt").textContent = h.bhyt
      ? `${T.card} ${h.bhyt.code || h.bhyt.card_number || ""} · ${h.bhyt.valid_to || ""}`
      : T.no_card;
    document.getElementById("ph-allergies").textContent =
      h.allergies.map((a) => a.data.substance).join(", ") || "—";
    document.getElementById("ph-conditions").textContent =
      h.conditions.map((c) => `${c.data.code || ""} ${c.data.name || ""}`).join(", ") || "—";
    document.getElementById("ph-count").textContent = h.past_encounter_count;
    document.getElementById("ph-past").replaceChildren(...h.past_encounters.map((p) =>
      SH.el("li", { text: `${(p.started_at || "").slice(0, 10)} · ${p.facility_code} · ` +
                          `${p.main_icd || ""} ${p.main_icd_title || ""}` })));
  }

  async function loadRecord() {
    const r = await SH.request("GET", base);
    if (!r.ok) { say(SH.errorMessage(r.body, T.unknown), "error"); return; }
    const rec = r.body;
    list("l-vitals", rec.vitals, (e) => Object.entries(e.data)
      .filter(([, v]) => v !== null).map(([k, v]) => `${T.vitals[k] || k} ${v}`).join(" · "));
    list("l-notes", rec.notes, (e) => `${T.sections[e.data.section] || e.data.section}: ` +
      e.data.text);
    list("l-diagnoses", rec.diagnoses, (e) =>
      `${e.code} ${e.data.title_vi || ""}${e.data.main ? " (" + T.main + ")" : ""}`);
    list("l-orders", rec.orders, (e) => `${e.code} ${e.data.name || ""}`);
    list("l-results", rec.results, (e) =>
      `${e.data.test}: ${e.data.value} ${e.data.unit || ""} [${e.data.reference_range || ""}]` +
      (e.data.flag && e.data.flag !== "normal" ? ` ⚠ ${e.data.flag}` : ""));
    list("l-prescriptions", rec.prescriptions, (e) =>
      `${e.data.name || e.code} · ${e.data.dose} × ${e.data.frequency_per_day}/ngày × ` +
      `${e.data.days} = ${e.data.quantity} ${e.data.unit || ""}`);
    document.getElementById("result-orders").replaceChildren(...rec.orders.map((o) =>
      SH.el("option", { value: o.entry_id, text: `${o.code} ${o.data.name || ""}` })));
    document.getElementById("enc-status").textContent =
      T.statuses[rec.encounter.status] || rec.encounter.status;
  }

  async function post(kind, payload, form) {
    const r = await SH.request("POST", `${base}/${kind}`, payload);
    if (!r.ok) { say(SH.errorMessage(r.body, T.unknown), "error"); return null; }
    const warn = warnings(r.body);
    say(warn ? `${T.warning}: ${warn}` : T.saved, warn ? "warn" : "ok");
    if (form) form.reset();
    await loadRecord();
    return r.body;
  }

  function onSubmit(formId, handler) {
    document.getElementById(formId).addEventListener("submit", (event) => {
      event.preventDefault();
      handler(event.target);
    });
  }

  onSubmit("f-vitals", (f) => {
    const data = {};
    Object.entries(formData(f)).forEach(([k, v]) => { data[k] = Number(v); });
    post("vitals", data, f);
  });
  onSubmit("f-notes", (f) => post("notes", formData(f), f));
  onSubmit("f-diagnoses", (f) => {
    const code = icdCodes.get(f.q.value) || f.q.value.split(" ")[0];
    if (!code) { say(T.pick_code, "error"); return; }
    post("diagnoses", { code, main: f.main.checked }, f);
  });
  onSubmit("f-orders", (f) => post("orders", formData(f)));
  onSubmit("f-results", (f) => {
    const data = formData(f);
    data.order_entry_id = Number(data.order_entry_id);
    post("results", data, f);
  });
  onSubmit("f-prescriptions", (f) => {
    const data = formData(f);
    const code = drugCodes.get(data.q);
    if (!code) { say(T.pick_drug, "error"); return; }
    delete data.q;
    post("prescriptions", { ...data, drug_code: code, dose: Number(data.dose),
                            frequency_per_day: Number(data.frequency_per_day),
                            days: Number(data.days) }, f);
  });
  onSubmit("f-reason", async (f) => {
    const r = await SH.request("PATCH", base, { reason: f.reason.value });
    say(r.ok ? T.saved : SH.errorMessage(r.body, T.unknown), r.ok ? "ok" : "error");
  });
  onSubmit("f-outcome", async (f) => {
    const r = await SH.request("PATCH", base, formData(f));
    say(r.ok ? T.saved : SH.errorMessage(r.body, T.unknown), r.ok ? "ok" : "error");
  });

  function typeahead(input, url, options, map, label) {
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        if (input.value.length < 2 || map.has(input.value)) return;
        const r = await SH.request("GET", url(encodeURIComponent(input.value)));
        if (!r.ok) return;
        options.replaceChildren(...r.body.map((item) => {
          const text = label(item);
          map.set(text, item.code);
          return SH.el("option", { value: text });
        }));
      }, 150);
    });
  }

  typeahead(document.querySelector("#f-diagnoses [name=q]"),
            (q) => `/api/catalogue/icd10?q=${q}&limit=15`, document.getElementById("icd-options"),
            icdCodes, (i) => `${i.code} ${SH.lang === "en" ? i.title_en : i.title_vi}`);
  typeahead(document.querySelector("#f-prescriptions [name=q]"),
            (q) => `/api/catalogue/drugs?q=${q}&facility_code=${facility}`,
            document.getElementById("drug-options"), drugCodes,
            (d) => `${d.name} (${d.dosage_form}, ${d.unit})`);

  async function loadServices() {
    const r = await SH.request("GET",
      `/api/catalogue/services?facility_code=${facility}&kind=lab&kind=imaging`);
    if (!r.ok) return;
    document.getElementById("order-services").replaceChildren(...r.body.map((s) =>
      SH.el("option", { value: s.code, text: `${s.name} (${s.code})` })));
  }

  async function showDocuments() {
    const r = await SH.request("GET", `${base}/signature`);
    if (!r.ok || !r.body.length) return;
    const box = document.getElementById("documents");
    box.hidden = false;
    document.getElementById("doc-summary").href = `${base}/summary.pdf`;
    document.getElementById("doc-prescription").href = `${base}/prescription.pdf`;
    const ok = r.body.every((check) => check.valid);
    document.getElementById("doc-signature").textContent =
      `${ok ? T.intact : T.broken} ${T.signer}: ${r.body[0].signer || ""}`;
    document.getElementById("doc-signature").className = ok ? "ok-text" : "warn-text";
  }

  const closeButton = document.getElementById("close-sign");
  if (closeButton) {
    closeButton.addEventListener("click", async () => {
      closeButton.disabled = true;
      const r = await SH.request("POST", `${base}/close`, {});
      closeButton.disabled = false;
      if (!r.ok) { say(SH.errorMessage(r.body, T.unknown), "error"); return; }
      say(T.closed, "ok");
      await loadRecord();
      await showDocuments();
    });
  }

  loadHeader();
  loadRecord();
  loadServices();
  if (root.dataset.status !== "open") showDocuments();
})();
