// The host's dashboard: paints the hub's snapshot, applies its pushed batches (SSE) and
// posts the buttons with their single-use CSRF token. Everything from the show is put on the
// page as text (textContent), never as HTML.
"use strict";
(function () {
  const FEED_ROWS = 200;
  const state = { claims: [], chat: [], connectors: {}, stock: {}, show: null, figures: null,
    holds: [], per_minute: {}, outcomes: {} };
  const $ = (id) => document.getElementById(id);
  const csrfMeta = document.querySelector('meta[name="csrf"]');

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function clock(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }
  function ago(iso) {
    if (!iso) return "never";
    const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    return clock(iso);
  }
  function left(iso) {
    if (!iso) return "—";
    const s = Math.max(0, Math.round((new Date(iso).getTime() - Date.now()) / 1000));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function apply(batch) {
    if (batch.type === "snapshot") {
      Object.assign(state, { claims: [], chat: [], connectors: {}, stock: {}, holds: [] });
    }
    state.claims.push(...(batch.claims || []));
    state.claims = state.claims.slice(-FEED_ROWS);
    for (const u of batch.updates || []) {
      for (const row of state.claims) {
        if (u.claims.includes(row.claim)) {
          row.link_opened = row.link_opened || u.link_opened;
          row.paid = row.paid || u.paid;
        }
      }
    }
    state.chat.push(...(batch.chat || []));
    state.chat = state.chat.slice(-FEED_ROWS);
    Object.assign(state.connectors, batch.connectors || {});
    Object.assign(state.stock, batch.stock || {});
    if (batch.show) state.show = batch.show;
    if (batch.figures) state.figures = batch.figures;
    if (batch.holds) state.holds = batch.holds;
    if (batch.per_minute) state.per_minute = batch.per_minute;
    if (batch.outcomes) state.outcomes = batch.outcomes;
    if (batch.missed) $("missed").textContent = "(" + batch.missed + " claims too fast to list)";
    render();
  }

  function renderShow() {
    const show = state.show;
    if (!show) return;
    $("featured").textContent = show.featured
      ? "Featured: " + show.featured + " · " + show.featured_title +
        (show.featured_price ? " · " + show.featured_price : "")
      : "Nothing featured";
    $("paused").hidden = !show.paused;
    $("closed").hidden = !show.closed;
    const drops = $("drops");
    drops.replaceChildren();
    for (const d of show.drops) {
      const b = el("span", "", "badge drop");
      b.dataset.ends = d.ends_at || "";
      b.dataset.label = "Drop " + d.code + ": " + d.remaining + "/" + d.total + " left, " +
        d.cap + " each";
      b.textContent = b.dataset.label + (d.ends_at ? " · " + left(d.ends_at) : "");
      drops.append(b);
    }
  }

  function renderHealth() {
    const body = $("health");
    body.replaceChildren();
    for (const c of Object.values(state.connectors)) {
      const tr = el("tr");
      tr.append(el("td", c.name), el("td", c.words, "state " + c.level),
        el("td", ago(c.last_message_at)), el("td", c.advice || c.detail || ""));
      body.append(tr);
    }
  }

  function outcomeOptions() {
    // the outcomes seen so far become filter choices (held, waitlisted, sold_out, capped, ...)
    const select = $("filter-outcome");
    const known = new Set(Array.from(select.options).map((o) => o.value));
    for (const outcome of Object.keys(state.outcomes).sort()) {
      if (!known.has(outcome)) select.append(new Option(outcome, outcome));
    }
  }

  function renderFeed() {
    outcomeOptions();
    const platform = $("filter-platform").value;
    const outcome = $("filter-outcome").value;
    const body = $("feed");
    body.replaceChildren();
    const rows = state.claims.filter((c) =>
      (!platform || c.platform === platform) && (!outcome || c.outcome === outcome));
    for (const c of rows.slice().reverse()) {
      const tr = el("tr");
      tr.dataset.claim = c.claim;
      tr.append(el("td", clock(c.at)), el("td", c.platform, "plat " + c.platform),
        el("td", c.viewer, "viewer"), el("td", (c.product + " " + (c.variant || "")).trim()),
        el("td", c.qty || ""), el("td", c.outcome, "outcome " + c.outcome),
        el("td", c.link_opened ? "opened" : ""), el("td", c.paid ? "paid" : "", c.paid ? "ok" : ""));
      body.append(tr);
    }
  }

  function renderStock() {
    const body = $("stock");
    body.replaceChildren();
    for (const s of Object.values(state.stock)) {
      const tr = el("tr");
      tr.append(el("td", s.title), el("td", s.sellable === null ? "∞" : s.sellable),
        el("td", s.held), el("td", s.sold), el("td", s.waitlist));
      body.append(tr);
    }
  }

  function renderFigures() {
    const f = state.figures;
    if (f) {
      $("fig-revenue").textContent = f.revenue;
      $("fig-orders").textContent = f.orders;
      $("fig-claims").textContent = f.claims;
      $("fig-conversion").textContent = f.conversion;
      const bars = $("sell-through");
      bars.replaceChildren();
      for (const [product, pct] of Object.entries(f.sell_through || {})) {
        const row = el("div", "", "bar");
        const fill = el("span", "", "fill");
        fill.style.width = (parseFloat(pct) || 0) + "%";
        row.append(el("span", product + " " + pct, "label"), fill);
        bars.append(row);
      }
    }
    const svg = $("chart");
    const ns = "http://www.w3.org/2000/svg";
    svg.replaceChildren();
    const minutes = Object.keys(state.per_minute).sort().slice(-30);
    const most = Math.max(1, ...minutes.map((m) => state.per_minute[m]));
    const w = 300 / 30;
    minutes.forEach((m, i) => {
      const n = state.per_minute[m];
      const h = Math.max(1, (n / most) * 70);
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("x", String(i * w + 1));
      r.setAttribute("y", String(78 - h));
      r.setAttribute("width", String(w - 2));
      r.setAttribute("height", String(h));
      const t = document.createElementNS(ns, "title");
      t.textContent = m.slice(11) + " UTC: " + n + " claims";
      r.append(t);
      svg.append(r);
    });
  }

  function renderHolds() {
    const body = $("holds");
    body.replaceChildren();
    for (const h of state.holds) {
      const tr = el("tr");
      const time = el("td", left(h.expires_at), "countdown");
      time.dataset.ends = h.expires_at || "";
      const act = el("td");
      for (const verb of ["remind", "release"]) {
        const b = el("button", verb === "remind" ? "Remind" : "Release", "small");
        b.type = "button";
        b.dataset.hold = h.hold_id;
        b.dataset.verb = verb;
        act.append(b);
      }
      tr.append(el("td", h.platform + " · " + h.viewer),
        el("td", h.qty + " × " + h.product + (h.variant ? " " + h.variant : "")), time, act);
      body.append(tr);
    }
  }

  function renderChat() {
    const list = $("chat");
    list.replaceChildren();
    for (const m of state.chat.slice(-80).reverse()) {
      const li = el("li", "", m.understood ? "understood" : "");
      li.append(el("span", clock(m.at), "time"), el("span", m.platform, "plat " + m.platform),
        el("b", m.viewer, "viewer"), el("span", m.text, "text"));
      if (m.understood) li.append(el("span", "understood as " + m.understood +
        (m.outcome ? " → " + m.outcome : ""), "chip"));
      list.append(li);
    }
  }

  function render() {
    renderShow(); renderHealth(); renderFeed(); renderStock(); renderFigures();
    renderHolds(); renderChat();
  }

  function flash(ok, message) {
    const f = $("flash");
    f.hidden = false;
    f.className = "flash " + (ok ? "ok" : "bad");
    f.textContent = message;
  }

  let busy = Promise.resolve();
  function post(url, data) {
    // one action at a time: each spends the token the previous answer handed out
    busy = busy.then(async () => {
      data.set("csrf", csrfMeta.content);
      try {
        const res = await fetch(url, { method: "POST", body: new URLSearchParams(data),
          credentials: "same-origin" });
        const body = await res.json();
        if (body.csrf) csrfMeta.content = body.csrf;
        flash(Boolean(body.ok), body.message || (body.ok ? "Done." : "Refused."));
      } catch (err) {
        flash(false, "The show did not answer: " + err);
      }
    });
    return busy;
  }

  document.querySelectorAll("form[data-action]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      post("/dashboard/control/" + form.dataset.action, new FormData(form));
    });
  });
  document.querySelectorAll("form[data-plain]").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelector('input[name="csrf"]').value = csrfMeta.content;
    });
  });
  $("holds").addEventListener("click", (event) => {
    const b = event.target.closest("button[data-hold]");
    if (!b) return;
    post("/dashboard/holds/" + encodeURIComponent(b.dataset.hold) + "/" + b.dataset.verb,
      new FormData());
  });
  $("filter-platform").addEventListener("change", renderFeed);
  $("filter-outcome").addEventListener("change", renderFeed);

  setInterval(() => {  // countdowns and "n s ago" move without the server
    document.querySelectorAll("[data-ends]").forEach((node) => {
      if (!node.dataset.ends) return;
      node.textContent = node.dataset.label
        ? node.dataset.label + " · " + left(node.dataset.ends) : left(node.dataset.ends);
    });
    renderHealth();
  }, 1000);

  apply(JSON.parse($("snapshot").textContent));
  const live = $("live");
  const source = new EventSource("/dashboard/events");
  const onData = (event) => apply(JSON.parse(event.data));
  source.addEventListener("snapshot", onData);
  source.addEventListener("batch", onData);
  source.onopen = () => { live.textContent = "live"; live.className = "badge ok"; };
  source.onerror = () => { live.textContent = "reconnecting…"; live.className = "badge warn"; };
})();
