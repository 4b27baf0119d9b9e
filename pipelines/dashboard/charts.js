// Draws window.DASHBOARD: every number was computed by the pipeline; this only lays them out
// as Plotly charts, each with a table of its numbers (text a reader, a printer or a test
// can read). Elements holding a headline figure carry data-figure="<name>".
// Every panel is placed first and drawn after, so a chart is drawn at its panel's width, and
// redrawn whenever that width changes; axes make room for their labels (automargin); days
// and months are categories, one label each, never a time of day.
(function () {
  "use strict";
  const D = window.DASHBOARD;
  const PRODUCTS = { coder: "Coder", rocketchat: "Rocket.Chat", seatable: "SeaTable", openl2m: "OpenL2M" };
  const COLORS = { coder: "#2f6fde", rocketchat: "#e0413f", seatable: "#f29b20", openl2m: "#2aa876" };
  const page = document.getElementById("page");
  const number = (v) => (v === null || v === undefined ? "–" : Number(v).toLocaleString("en-US"));

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children.flat()) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function section(title, note) {
    const body = el("div");
    page.append(el("section", {}, el("h2", {}, title), note ? el("p", { class: "muted" }, note) : "", body));
    return body;
  }

  function card(label, value, figure, note) {
    const attrs = { class: "figure" };
    if (figure) attrs["data-figure"] = figure;
    return el("div", { class: "card" }, el("div", { class: "muted" }, label), el("div", attrs, value),
      note ? el("div", { class: "muted" }, note) : "");
  }

  // columns: [label, key, numeric?, figure-prefix?]; a figure-prefix names each cell's figure
  function table(columns, rows) {
    if (!rows.length) return el("p", { class: "empty" }, "nothing in this window");
    const head = el("tr", {}, columns.map(([label, , numeric]) => el("th", numeric ? { class: "n" } : {}, label)));
    const body = rows.map((row) => el("tr", {}, columns.map(([, key, numeric, figure]) => {
      const value = typeof key === "function" ? key(row) : row[key];
      const attrs = numeric ? { class: "n" } : {};
      if (figure) attrs["data-figure"] = figure(row);
      return el("td", attrs, numeric ? number(value) : value ?? "");
    })));
    return el("div", { class: "scroll" }, el("table", {}, el("thead", {}, head), el("tbody", {}, body)));
  }

  // A layout's axes, each making room for its labels; yaxis2 (when given) on the right.
  function axes(layout) {
    const fitted = Object.assign({}, layout);
    for (const name of ["xaxis", "yaxis", "yaxis2"]) {
      if (name !== "yaxis2" || layout.yaxis2) fitted[name] = Object.assign({ automargin: true }, layout[name]);
    }
    if (layout.yaxis2) Object.assign(fitted.yaxis2, { overlaying: "y", side: "right" });
    return fitted;
  }

  const drawings = [];  // the charts, drawn once every panel has its place

  function panel(parent, title, traces, layout, columns, rows, open, note) {
    const heading = [el("h3", {}, title), note ? el("p", { class: "muted note" }, note) : ""];
    if (!rows.length) {  // nothing to draw: say so instead of an empty frame
      parent.append(el("div", { class: "panel" }, heading, table(columns, rows)));
      return;
    }
    const chart = el("div", { class: "chart", role: "img", "aria-label": title });
    if (layout && layout.height) chart.style.height = `${layout.height}px`;
    const numbers = el("details", open ? { open: "" } : {}, el("summary", {}, "numbers"), table(columns, rows));
    parent.append(el("div", { class: "panel" }, heading, chart, numbers));
    drawings.push(() => {
      Plotly.newPlot(chart, traces, axes(Object.assign({
        margin: { l: 8, r: 8, t: 8, b: 8 }, showlegend: traces.length > 1,
        legend: { orientation: "h", x: 0, y: 1, yanchor: "bottom" }, font: { size: 12 },
      }, layout || {})), { displaylogo: false, displayModeBar: false });
      new ResizeObserver(() => Plotly.Plots.resize(chart)).observe(chart);
    });
  }

  // Days and months as categories: one label a day, thinned to fit, never a clock time.
  const CATEGORIES = { type: "category" };

  const grid = (parent) => { const g = el("div", { class: "grid" }); parent.append(g); return g; };
  const bar = (x, y, extra) => Object.assign({ type: "bar", x, y }, extra || {});

  document.getElementById("as-of").textContent =
    `As of ${D.now} (${D.timezone} days); generated ${D.generated_at}.`;

  // ------------------------------------------------------------------ overview
  {
    const O = D.overview;
    const body = section("Active users", `Distinct users per product; figures of ${O.day}, the latest day with activity.`);
    const cards = el("div", { class: "cards" });
    for (const p of O.products) {
      const before = p.dau_4_weeks_before;
      const change = before ? `${p.dau >= before ? "+" : ""}${Math.round((100 * (p.dau - before)) / before)}% against four weeks before (${number(before)})` : "no activity four weeks before";
      cards.append(card(`${PRODUCTS[p.source]} · DAU / WAU / MAU`,
        el("span", {}, el("span", { "data-figure": `dau-${p.source}` }, number(p.dau)), ` / ${number(p.wau)} / ${number(p.mau)}`),
        null, change));
    }
    body.append(cards);
    const traces = [];
    const dashes = { dau: "solid", wau: "dot", mau: "dash" };
    for (const source of Object.keys(PRODUCTS)) {  // each from its first day with activity
      const rows = O.series.filter((r) => r.source === source);
      if (!rows.length) continue;
      for (const metric of ["dau", "wau", "mau"]) {  // one legend entry a product
        traces.push({ type: "scatter", mode: "lines", name: PRODUCTS[source], legendgroup: source,
          showlegend: metric === "dau", hovertemplate: `%{y} ${metric.toUpperCase()}<extra>${PRODUCTS[source]}</extra>`,
          x: rows.map((r) => r.activity_date), y: rows.map((r) => r[metric]),
          line: { color: COLORS[source], dash: dashes[metric], width: metric === "dau" ? 2 : 1.5 } });
      }
    }
    const wide = Object.keys(PRODUCTS).flatMap((s) => ["dau", "wau", "mau"].map((m) => [`${PRODUCTS[s]} ${m.toUpperCase()}`, (r) => r[`${s}_${m}`], true]));
    const byDay = {};
    for (const r of O.series) {
      const row = byDay[r.activity_date] || (byDay[r.activity_date] = { activity_date: r.activity_date });
      for (const m of ["dau", "wau", "mau"]) row[`${r.source}_${m}`] = r[m];
    }
    panel(grid(body), "DAU, WAU and MAU, last 90 days", traces,
      { height: 360, xaxis: CATEGORIES, yaxis: { rangemode: "tozero" } },
      [["day", "activity_date"], ...wide], Object.values(byDay).reverse(), false,
      "Solid: DAU; dotted: WAU; dashed: MAU. Each product from its first day with activity.");
  }

  // ----------------------------------------------------------------------- coder
  {
    const C = D.coder;
    const body = section("Coder", `Template insights ${C.window[0]} to ${C.window[1]}; busiest users ${C.users_window[0]} to ${C.users_window[1]}.`);
    body.append(el("div", { class: "cards" },
      card("active users", number(C.active_users), "coder-active-users"),
      card("builtin apps (IDEs, terminals), hours", number(C.builtin_hours), "coder-builtin-hours"),
      card("custom apps, hours", number(C.custom_hours), "coder-custom-hours")));
    const g = grid(body);
    const names = C.templates.map((t) => t.template_name);
    const templateColumns = [["template", "template_name"],
      ["hours", "hours", true, (t) => `coder-template-hours-${t.template_name}`],
      ["active users", "active_users", true], ["latency p50 ms", "p50_ms", true], ["p95 ms", "p95_ms", true]];
    panel(g, "Usage hours per template", [bar(names, C.templates.map((t) => t.hours), { marker: { color: COLORS.coder } })],
      {}, templateColumns, C.templates, true);
    panel(g, "Active users per template", [bar(names, C.templates.map((t) => t.active_users), { marker: { color: "#7aa5ef" } })],
      {}, templateColumns, C.templates);
    panel(g, "Latency per template (ms)", [
      bar(names, C.templates.map((t) => t.p50_ms), { name: "p50" }),
      bar(names, C.templates.map((t) => t.p95_ms), { name: "p95" })], { barmode: "group" },
      templateColumns, C.templates);
    const apps = C.apps.filter((a) => a.hours > 0);
    panel(g, "Usage hours per app", [bar(apps.map((a) => a.name), apps.map((a) => a.hours),
      { marker: { color: apps.map((a) => (a.type === "builtin" ? COLORS.coder : "#9b59b6")) } })],
      {}, [["app", "name"], ["type", "type"], ["hours", "hours", true]], C.apps);
    panel(g, "The 10 busiest users (hours)", [bar(C.busiest.map((u) => u.hours).reverse(), C.busiest.map((u) => u.username).reverse(),
      { orientation: "h", marker: { color: COLORS.coder } })], {},
      [["user", "username"], ["hours", "hours", true]], C.busiest);
    panel(g, "Builtin apps against custom apps (hours)", [bar(["builtin", "custom"], [C.builtin_hours, C.custom_hours],
      { marker: { color: [COLORS.coder, "#9b59b6"] } })], {},
      [["kind", "kind"], ["hours", "hours", true]], [{ kind: "builtin", hours: C.builtin_hours }, { kind: "custom", hours: C.custom_hours }]);
  }

  // ----------------------------------------------------------------- rocket.chat
  {
    const R = D.rocketchat;
    const body = section("Rocket.Chat", "Statistics as of now; messages per UTC day over 90 days.");
    body.append(el("div", { class: "cards" },
      card("users", number(R.totals.totalUsers), "rocketchat-total-users"),
      card("active users", number(R.totals.activeUsers), "rocketchat-active-users"),
      card("rooms", number(R.totals.totalRooms), "rocketchat-total-rooms"),
      card("messages", number(R.totals.totalMessages), "rocketchat-total-messages")));
    const g = grid(body);
    panel(g, "Users by type", [
      bar(R.users_by_type.map((u) => u.type), R.users_by_type.map((u) => u.count_users), { name: "all" }),
      bar(R.users_by_type.map((u) => u.type), R.users_by_type.map((u) => u.count_active), { name: "active" })],
      { barmode: "group" }, [["type", "type"], ["users", "count_users", true], ["active", "count_active", true]], R.users_by_type);
    const status = Object.entries(R.statuses).map(([k, v]) => ({ status: k.replace("Users", ""), users: v }));
    panel(g, "Users by status", [bar(status.map((s) => s.status), status.map((s) => s.users), { marker: { color: COLORS.rocketchat } })],
      {}, [["status", "status"], ["users", "users", true]], status);
    const rooms = Object.entries(R.rooms_by_type).map(([t, n]) => ({ type: t, rooms: n, messages: R.messages_by_type[t] }));
    panel(g, "Rooms and their messages by type", [
      bar(rooms.map((r) => r.type), rooms.map((r) => r.rooms), { name: "rooms", offsetgroup: "rooms" }),
      bar(rooms.map((r) => r.type), rooms.map((r) => r.messages), { name: "messages", yaxis: "y2", offsetgroup: "messages" })],
      { barmode: "group", yaxis2: {} },
      [["room type", "type"], ["rooms", "rooms", true], ["messages", "messages", true]], rooms);
    panel(g, "User messages per day", [{ type: "scatter", mode: "lines", x: R.messages_per_day.map((m) => m.message_date),
      y: R.messages_per_day.map((m) => m.count_user_messages), line: { color: COLORS.rocketchat } }],
      { xaxis: CATEGORIES, yaxis: { rangemode: "tozero" } }, [["day", "message_date"], ["messages", "count_user_messages", true]],
      R.messages_per_day.slice().reverse());
  }

  // -------------------------------------------------------------------- seatable
  {
    const S = D.seatable;
    const body = section("SeaTable", "Active users per day (last 30 days); script runs per month; this month's top users and teams.");
    const g = grid(body);
    panel(g, "Active users per day", [bar(S.active_per_day.map((d) => d.datetime.slice(0, 10)), S.active_per_day.map((d) => d.count),
      { marker: { color: COLORS.seatable } })], { xaxis: CATEGORIES }, [["day", (d) => d.datetime.slice(0, 10)], ["users", "count", true]],
      S.active_per_day.slice().reverse());
    panel(g, "Script runs and run time per month", [
      bar(S.runs_per_month.map((m) => m.month_start_date.slice(0, 7)), S.runs_per_month.map((m) => m.count_runs), { name: "runs" }),
      { type: "scatter", mode: "lines+markers", name: "hours", yaxis: "y2",
        x: S.runs_per_month.map((m) => m.month_start_date.slice(0, 7)), y: S.runs_per_month.map((m) => m.run_hours) }],
      { xaxis: CATEGORIES, yaxis2: { rangemode: "tozero" } },
      [["month", (m) => m.month_start_date.slice(0, 7)], ["runs", "count_runs", true], ["hours", "run_hours", true]],
      S.runs_per_month.slice().reverse());
    panel(g, "Top users this month (runs)", [bar(S.top_users.map((u) => u.name), S.top_users.map((u) => u.total_run_count),
      { marker: { color: COLORS.seatable } })], {},
      [["user", "name"], ["runs", "total_run_count", true], ["seconds", "total_run_time", true]], S.top_users);
    panel(g, "Top teams this month (runs)", [bar(S.top_teams.map((t) => String(t.org_name)), S.top_teams.map((t) => t.total_run_count),
      { marker: { color: "#c77c0e" } })], {},
      [["team", "org_name"], ["runs", "total_run_count", true], ["seconds", "total_run_time", true]], S.top_teams);
  }

  // --------------------------------------------------------------------- openl2m
  {
    const L = D.openl2m;
    const body = section("OpenL2M", "Usage over OpenL2M's own windows; the inventory of its database.");
    const g = grid(body);
    const windows = ["last_hour", "today", "last_7_days", "last_31_days"];
    const measures = ["devices", "changes", "users", "api_calls", "commands"];
    const rows = measures.map((m) => Object.assign({ measure: m.replace("_", " ") },
      ...windows.map((w) => ({ [w]: L.usage[`${m}_${w}`] ? L.usage[`${m}_${w}`].value : null }))));
    panel(g, "Usage by window", windows.map((w) => bar(rows.map((r) => r.measure), rows.map((r) => r[w]), { name: w.replaceAll("_", " ") })),
      { barmode: "group" }, [["measure", "measure"], ...windows.map((w) => [w.replaceAll("_", " "), w, true])], rows, true);
    // The log's entries outnumber the inventory by far: a figure of their own, not a bar.
    const entries = L.database.log_entries;
    const inventory = Object.entries(L.database).filter(([key]) => key !== "log_entries").map(([, item]) => item);
    body.insertBefore(el("div", { class: "cards" }, card(entries.label, number(entries.value), "openl2m-log-entries")), g);
    panel(g, "Inventory", [bar(inventory.map((i) => i.label), inventory.map((i) => i.value), { marker: { color: COLORS.openl2m } })],
      {}, [["item", "label"], ["count", "value", true]], Object.values(L.database), true);
  }

  // ----------------------------------------------------------------- data health
  {
    const H = D.health;
    const body = section("Data health", "Freshness per source, rejected lines (last 30 days), the last runs, open warnings.");
    body.append(el("div", { class: "panel" }, el("h3", {}, "Sources"),
      table([["source", (s) => PRODUCTS[s.source]], ["newest raw file", "newest_file"], ["landed", "landed_at"], ["newest event", "newest_event_at"]], H.sources)));
    const g = grid(body);
    const total = H.rejects_per_day.reduce((sum, r) => sum + r.count_rejected, 0);
    body.insertBefore(el("div", { class: "cards" }, card("rejected lines, last 30 days", number(total), "rejects-total")), g);
    panel(g, "Rejected lines per day", [bar(H.rejects_per_day.map((r) => r.day), H.rejects_per_day.map((r) => r.count_rejected),
      { marker: { color: "#b03a2e" } })], { xaxis: CATEGORIES },
      [["day", "day"], ["rejected", "count_rejected", true], ["top reasons", (r) => r.top_reasons.join("; ")]], H.rejects_per_day, true);
    // The run that wrote this page leads, running: its publishing was not over yet.
    const started = (r) => r.started_at.slice(0, 19).replace("T", " ");
    const status = (r) => (r.status === "running" ? "running (wrote this page)" : r.status);
    const runs = H.runs.slice().reverse();
    panel(g, "The last runs (seconds per stage)", ["extract_seconds", "transform_seconds", "publish_seconds"].map((k) =>
      bar(runs.map(started), runs.map((r) => r[k]), { name: k.replace("_seconds", "") })),
      { barmode: "stack", xaxis: CATEGORIES }, [["started", started], ["status", status, false, (r) => `run-status-${r.run_id}`],
        ["seconds", "seconds", true], ["rejected", "rejected", true]], H.runs, true);
    body.append(el("div", { class: "panel" }, el("h3", {}, "Open warnings"),
      table([["check", "check_name"], ["subject", "subject"], ["detail", "detail"]], H.warnings)));
  }

  for (const draw of drawings) draw();

  // Printing shows every table.
  window.addEventListener("beforeprint", () => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
})();
