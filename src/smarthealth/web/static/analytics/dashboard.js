// The department's dashboard: fetch each chart's rows from /api/analytics/<chart> with the page's
// filters, draw them with plotly.js (served locally), and offer the same rows as a table.
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root) return;
  const query = root.dataset.query;
  const lang = root.dataset.lang || "vi";
  const i18n = JSON.parse(document.getElementById("dashboard-texts").textContent);
  const t = (text) => i18n.texts[text] || text;
  const columnLabel = (name) => i18n.columns[name] || name;
  const locale = lang === "vi" ? "vi-VN" : "en-GB";
  const TABLE_ROWS = 200;
  const CHART_HEIGHT = 400;
  // Vietnamese-style dates on time axes: days under a month's spacing, else month/year
  const DATE_TICKS = [{dtickrange: [null, "M1"], value: "%d/%m/%Y"},
    {dtickrange: ["M1", null], value: "%m/%Y"}];
  // no red among the series: red marks alarms
  const COLORS = ["#0b6e4f", "#e08e0b", "#2e86c1", "#7d3c98", "#34495e", "#16a085", "#a0522d"];

  function formatValue(name, value) {
    if (value === null || value === undefined) return "—";
    if (name === "day" || name === "period_start") {
      const [y, m, d] = value.split("-");
      return `${d}/${m}/${y}`;
    }
    if (["insured_share", "coverage", "occupancy"].includes(name)) {
      return (value * 100).toLocaleString(locale, {maximumFractionDigits: 1}) + " %";
    }
    if (typeof value === "number") return value.toLocaleString(locale);
    return String(value);
  }

  function rowsAsObjects(data) {
    return data.rows.map((row) => Object.fromEntries(data.columns.map((c, i) => [c, row[i]])));
  }

  function renderTable(panel, data) {
    const area = panel.querySelector(".table-area");
    area.textContent = "";
    if (!data.rows.length) {
      area.innerHTML = `<p class="empty">${t("No data for these filters.")}</p>`;
      return;
    }
    const columns = data.columns;
    const table = document.createElement("table");
    table.className = "data compact";
    const head = table.createTHead().insertRow();
    for (const c of columns) {
      const th = document.createElement("th");
      th.textContent = columnLabel(c);
      if (typeof data.rows[0][data.columns.indexOf(c)] === "number") th.className = "num";
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const row of data.rows.slice(0, TABLE_ROWS)) {
      const tr = body.insertRow();
      columns.forEach((c) => {
        const td = tr.insertCell();
        const value = row[data.columns.indexOf(c)];
        td.textContent = formatValue(c, value);
        if (typeof value === "number") td.className = "num";
      });
    }
    const wrap = document.createElement("div");
    wrap.className = "table-scroll";
    wrap.appendChild(table);
    area.appendChild(wrap);
    if (data.rows.length > TABLE_ROWS) {
      const note = document.createElement("p");
      note.className = "muted note";
      note.textContent = t("Showing %(shown)s of %(total)s rows; download the CSV for all of them.")
        .replace("%(shown)s", TABLE_ROWS).replace("%(total)s", data.rows.length.toLocaleString(locale));
      area.appendChild(note);
    }
  }

  function labelOf(spec, row) {
    const label = row[spec.label];
    if (label) return String(label);
    const code = spec.code ? row[spec.code] : null;
    if (spec.code === "ward_code" && code === null) return t("Unknown ward");
    return code === null || code === undefined ? "—" : String(code);
  }

  function traces(spec, data) {
    const rows = rowsAsObjects(data);
    if (spec.kind === "line") {
      const x = rows.map((r) => r[spec.x]);
      const out = spec.y.map((y, i) => ({x, y: rows.map((r) => r[y]), type: "scatter",
        mode: rows.length > 60 ? "lines" : "lines+markers", name: columnLabel(y),
        line: {color: rows.length > 60 ? "#b7d9cb" : COLORS[i], width: rows.length > 60 ? 1 : 2}}));
      if (rows.length > 60) {  // daily counts swing by weekday: a 7-day mean shows the trend
        const values = rows.map((r) => r[spec.y[0]]);
        const mean = values.map((_, i) => (i < 6 ? null :
          values.slice(i - 6, i + 1).reduce((a, b) => a + b, 0) / 7));
        out.push({x, y: mean, type: "scatter", mode: "lines", name: t("7-day average"),
          line: {color: COLORS[0], width: 2.5}});
      }
      return out;
    }
    if (spec.kind === "combo") {
      return [
        {x: rows.map((r) => r[spec.x]), y: rows.map((r) => r[spec.y[0]]), type: "bar",
          name: columnLabel(spec.y[0]), marker: {color: "#9fd3c1"}},
        {x: rows.map((r) => r[spec.x]), y: rows.map((r) => r[spec.y[1]]), type: "scatter",
          mode: "lines", name: columnLabel(spec.y[1]), yaxis: "y2", line: {color: COLORS[1], width: 2}},
      ];
    }
    if (spec.kind === "stack") {
      const totals = new Map();
      for (const r of rows) totals.set(r[spec.label], (totals.get(r[spec.label]) || 0) + r.visits);
      const top = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, spec.limit)
        .map((e) => e[0]).reverse();
      const groups = [...new Set(rows.map((r) => r[spec.stack]))].sort(
        (a, b) => parseInt(a, 10) - parseInt(b, 10));
      return groups.map((g, i) => ({
        type: "bar", orientation: "h", name: g, marker: {color: COLORS[i % COLORS.length]},
        y: top, x: top.map((code) => rows.filter((r) => r[spec.label] === code && r[spec.stack] === g)
          .reduce((sum, r) => sum + r.visits, 0)),
      }));
    }
    // hbar: the first `limit` rows by the sort column, largest (or smallest) at the top
    const key = spec.sort || spec.y[0];
    const sorted = rows.filter((r) => r[key] !== null)
      .sort((a, b) => (spec.ascending ? a[key] - b[key] : b[key] - a[key])).slice(0, spec.limit)
      .reverse();
    return spec.y.map((y, i) => ({
      type: "bar", orientation: "h", name: columnLabel(y), marker: {color: COLORS[i]},
      y: sorted.map((r) => labelOf(spec, r)),
      x: sorted.map((r) => (spec.percent ? r[y] * 100 : r[y])),
      hovertemplate: spec.percent ? "%{y}: %{x:.1f} %<extra></extra>" : undefined,
    }));
  }

  function renderChart(panel, spec, data) {
    const area = panel.querySelector(".chart-area");
    area.textContent = "";
    if (!data.rows.length) {
      area.innerHTML = `<p class="empty">${t("No data for these filters.")}</p>`;
      return;
    }
    if (typeof Plotly === "undefined") {
      area.innerHTML = `<p class="alert error">${t("Could not load the data.")}</p>`;
      return;
    }
    const plot = document.createElement("div");
    plot.className = "plot";
    area.appendChild(plot);
    const series = traces(spec, data);
    const horizontal = spec.kind === "hbar" || spec.kind === "stack";
    const layout = {
      margin: {l: horizontal ? 190 : 50, r: spec.kind === "combo" ? 50 : 20, t: 10, b: 40},
      // few bars (one facility): a short chart rather than a few huge bars
      height: spec.kind === "hbar" ? Math.min(CHART_HEIGHT,
        110 + series[0].y.length * series.length * 22) : CHART_HEIGHT,
      font: {family: "Noto Sans, Segoe UI, Roboto, Arial, sans-serif", size: 12, color: "#17202a"},
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      showlegend: series.length > 1, legend: {orientation: "h", y: -0.12, traceorder: "normal"},
      bargap: 0.25,
      barmode: spec.kind === "stack" ? "stack" : "group",
      xaxis: {gridcolor: "#e5ebf0", automargin: true,
        ticksuffix: spec.percent ? " %" : "", range: spec.percent ? [0, 100] : undefined},
      yaxis: {gridcolor: "#e5ebf0", automargin: true, rangemode: "tozero"},
    };
    if (spec.kind === "combo") {
      layout.yaxis2 = {overlaying: "y", side: "right", rangemode: "tozero", showgrid: false};
    }
    if (spec.kind === "line" || spec.kind === "combo") {
      layout.xaxis.type = "date";
      layout.xaxis.tickformatstops = DATE_TICKS;
      layout.xaxis.hoverformat = "%d/%m/%Y";
    }
    Plotly.newPlot(plot, series, layout, {displaylogo: false, responsive: true,
      locale: lang === "vi" ? "vi" : "en", modeBarButtonsToRemove: ["lasso2d", "select2d"]});
  }

  function updateKpis(name, data) {
    const rows = rowsAsObjects(data);
    if (name === "visits_per_day") {
      const total = rows.reduce((s, r) => s + r.visits, 0);
      document.getElementById("kpi-visits").textContent = total.toLocaleString(locale);
    }
    if (name === "insured_share") {
      const visits = rows.reduce((s, r) => s + r.visits, 0);
      const insured = rows.reduce((s, r) => s + r.insured_visits, 0);
      document.getElementById("kpi-insured").textContent =
        visits ? formatValue("insured_share", insured / visits) : "–";
    }
  }

  function setView(panel, view) {
    const table = view === "table";
    panel.querySelector(".chart-area").hidden = table;
    panel.querySelector(".table-area").hidden = !table;
    panel.querySelector(".view-chart").classList.toggle("active", !table);
    panel.querySelector(".view-table").classList.toggle("active", table);
    panel.querySelector(".view-chart").setAttribute("aria-pressed", String(!table));
    panel.querySelector(".view-table").setAttribute("aria-pressed", String(table));
    if (!table) {
      const plot = panel.querySelector(".plot");
      if (plot && typeof Plotly !== "undefined") Plotly.Plots.resize(plot);
    }
  }

  async function load(panel) {
    const name = panel.dataset.chart;
    const spec = JSON.parse(panel.dataset.spec);
    panel.querySelector(".view-chart").addEventListener("click", () => setView(panel, "chart"));
    panel.querySelector(".view-table").addEventListener("click", () => setView(panel, "table"));
    try {
      const response = await fetch(`/api/analytics/${name}${query ? "?" + query : ""}`,
        {headers: {Accept: "application/json"}, credentials: "same-origin"});
      const body = await response.json();
      if (!response.ok) throw new Error(lang === "vi" ? body.error.message_vi : body.error.message_en);
      renderTable(panel, body);
      renderChart(panel, spec, body);
      updateKpis(name, body);
      panel.dataset.loaded = "true";
    } catch (err) {
      panel.querySelector(".chart-area").innerHTML =
        `<p class="alert error">${t("Could not load the data.")} ${err.message || ""}</p>`;
      panel.dataset.loaded = "error";
    }
  }

  async function wardChart() {
    const figure = document.getElementById("ward-chart");
    if (!figure) return;
    const box = figure.querySelector(".plot-box");
    const params = new URLSearchParams({lang});
    if (figure.dataset.from) params.set("from", figure.dataset.from);
    if (figure.dataset.to) params.set("to", figure.dataset.to);
    try {
      const response = await fetch(`/api/analytics/surveillance/${figure.dataset.ward}?${params}`,
        {headers: {Accept: "application/json"}, credentials: "same-origin"});
      const body = await response.json();
      if (!response.ok) throw new Error(lang === "vi" ? body.error.message_vi : body.error.message_en);
      const alarmed = [...new Set(body.alarms.map((a) => a.syndrome))];
      const busiest = Object.entries(body.counts).sort((a, b) =>
        b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0)).map((e) => e[0]);
      const shown = [...alarmed, ...busiest.filter((k) => !alarmed.includes(k))].slice(0, 5);
      box.textContent = "";
      if (!shown.length || typeof Plotly === "undefined") {
        box.innerHTML = `<p class="empty">${t("No data for these filters.")}</p>`;
        return;
      }
      const series = [];
      shown.forEach((key, i) => {
        const counts = body.counts[key] || body.weeks.map(() => 0);
        series.push({x: body.weeks, y: counts, type: "scatter", mode: "lines",
          name: body.names[key] || key, line: {color: COLORS[i % COLORS.length], width: 2},
          legendgroup: key});
        const hits = new Map();
        for (const a of body.alarms.filter((a) => a.syndrome === key)) {
          const text = `${a.method}: ${a.observed} > ${a.threshold === null ? "—" : a.threshold}`;
          hits.set(a.period_start, [...(hits.get(a.period_start) || []), text]);
        }
        const weeks = [...hits.keys()].filter((w) => body.weeks.includes(w));
        if (weeks.length) {
          series.push({x: weeks, y: weeks.map((w) => counts[body.weeks.indexOf(w)]),
            type: "scatter", mode: "markers", showlegend: false, legendgroup: key,
            marker: {color: "rgba(0,0,0,0)", size: 13, line: {color: "#c0392b", width: 2.5}},
            text: weeks.map((w) => hits.get(w).join("<br>")),
            hovertemplate: `${body.names[key] || key} %{x}<br>%{text}<extra></extra>`});
        }
      });
      const plot = document.createElement("div");
      box.appendChild(plot);
      Plotly.newPlot(plot, series, {
        height: 380, margin: {l: 40, r: 10, t: 10, b: 40},
        font: {family: "Noto Sans, Segoe UI, Roboto, Arial, sans-serif", size: 12, color: "#17202a"},
        paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
        legend: {orientation: "h", y: -0.15},
        xaxis: {type: "date", gridcolor: "#e5ebf0", tickformatstops: DATE_TICKS,
          hoverformat: "%d/%m/%Y"},
        yaxis: {gridcolor: "#e5ebf0", rangemode: "tozero"},
      }, {displaylogo: false, responsive: true});
      figure.dataset.loaded = "true";
    } catch (err) {
      box.innerHTML = `<p class="alert error">${t("Could not load the data.")} ${err.message || ""}</p>`;
      figure.dataset.loaded = "error";
    }
  }

  function start() {
    const panels = [...document.querySelectorAll(".chart-panel")];
    Promise.all([...panels.map(load), wardChart()]).then(() => { root.dataset.ready = "true"; });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
