// ngx_llm admin console: plain JS, no framework.  Data from the console API
// (/ui/api/..., controld: session cookie + CSRF token) and nginx's /metrics.
// Everything is built with DOM calls (text, never HTML from data).
'use strict';
(() => {
  const $ = (sel, el = document) => el.querySelector(sel);
  let session = null;
  let timers = [];
  let charts = [];
  let configDoc = null;

  // ---- helpers -----------------------------------------------------------
  function h(tag, attrs = {}, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids.flat()) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }
  const usd = (v) => (v === null || v === undefined) ? '—'
    : '$' + Number(v).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 6 });
  const num = (v) => (v === null || v === undefined) ? '—' : Number(v).toLocaleString();
  function toast(text) {
    const t = $('#toast');
    t.textContent = text;
    t.classList.add('show');
    setTimeout(() => t.classList.remove('show'), 2500);
  }

  // every UTC day from..to (YYYY-MM-DD), so a chart spans the chosen range
  function dayRange(from, to) {
    const out = [];
    for (let t = Date.parse(from + 'T00:00:00Z'); t <= Date.parse(to + 'T00:00:00Z'); t += 86400e3) {
      out.push(new Date(t).toISOString().slice(0, 10));
    }
    return out;
  }

  class ApiError extends Error {
    constructor(status, message, messages) { super(message); this.status = status; this.messages = messages; }
  }
  async function api(path, { method = 'GET', body } = {}) {
    const headers = {};
    if (method !== 'GET') {
      headers['Content-Type'] = 'application/json';
      if (session) headers['X-CSRF-Token'] = session.csrf;
    }
    const res = await fetch('/ui/api' + path, {
      method, headers, credentials: 'same-origin',
      body: method === 'GET' ? undefined : JSON.stringify(body || {}),
    });
    let doc = null;
    try { doc = await res.json(); } catch { /* empty */ }
    if (!res.ok) {
      if (res.status === 401 && path !== '/login') { session = null; showLogin(); }
      throw new ApiError(res.status, doc?.error?.message || `HTTP ${res.status}`, doc?.error?.messages);
    }
    return doc;
  }

  function chart(el, title, xs, series, opts = {}) {
    if (!window.uPlot) { el.append(h('p', { class: 'muted' }, 'charts unavailable')); return; }
    const colors = ['#2458c6', '#b42318', '#157f3b', '#b26b00', '#6b3fb3', '#0f7c8c'];
    const width = Math.max(260, el.clientWidth - 4);
    const u = new uPlot({
      title, width, height: opts.height || 200,
      scales: { x: { time: opts.time !== false } },
      axes: [{}, { size: 72, values: opts.yfmt ? (u, vals) => vals.map(opts.yfmt) : undefined }],
      series: [{}, ...series.map((s, i) => ({
        label: s.label, stroke: colors[i % colors.length], width: 2,
        spanGaps: opts.spanGaps, points: opts.points ? { show: true, size: 6 } : undefined,
        fill: series.length === 1 ? 'rgba(36,88,198,0.08)' : undefined,
        paths: opts.bars && uPlot.paths?.bars ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined,
      }))],
    }, [xs, ...series.map((s) => s.values)], el);
    charts.push(u);
    return u;
  }

  // ---- session -----------------------------------------------------------
  function showLogin() {
    stopTimers();
    $('.top').hidden = true;
    $('#page').replaceChildren();
    $('#login').hidden = false;
    $('#login-key').focus();
  }
  function showApp() {
    $('#login').hidden = true;
    $('.top').hidden = false;
    const admin = session.role === 'admin';
    for (const a of document.querySelectorAll('[data-admin]')) a.hidden = !admin;
    $('#who').textContent = `${session.key_alias || session.key_name || 'key'} · ${admin ? 'admin' : 'own key only'}`;
    route();
  }
  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('#login-error').textContent = '';
    try {
      session = await api('/login', { method: 'POST', body: { key: $('#login-key').value } });
      $('#login-key').value = '';
      if (!location.hash || location.hash === '#/') location.hash = session.role === 'admin' ? '#/overview' : '#/self';
      showApp();
    } catch (e) {
      $('#login-error').textContent = e.message;
    }
  });
  $('#logout').addEventListener('click', async () => {
    try { await api('/logout', { method: 'POST' }); } catch { /* signed out anyway */ }
    session = null;
    location.hash = '';
    showLogin();
  });

  // ---- routing -----------------------------------------------------------
  const pages = { overview, keys, spend, log, config, self };
  function stopTimers() {
    timers.forEach(clearInterval);
    timers = [];
    charts.forEach((c) => c.destroy());
    charts = [];
  }
  async function route() {
    if (!session) return;
    stopTimers();
    let name = (location.hash.match(/^#\/(\w+)/) || [])[1];
    if (session.role !== 'admin' || !pages[name]) name = session.role === 'admin' ? (pages[name] ? name : 'overview') : 'self';
    for (const a of document.querySelectorAll('.top nav a')) {
      if (a.dataset.page === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    const page = $('#page');
    page.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      await pages[name](page);
    } catch (e) {
      if (e.status !== 401) page.replaceChildren(h('div', { class: 'card' }, h('p', { class: 'error' }, e.message)));
    }
    $('#main').focus({ preventScroll: true });
  }
  window.addEventListener('hashchange', route);

  async function getConfig() {
    if (!configDoc) configDoc = await api('/config');
    return configDoc;
  }
  function deploymentMap(cfg) {
    const m = {};
    for (const d of cfg?.deployments || []) m[d.id] = d;
    return m;
  }

  // ---- Overview ----------------------------------------------------------
  // Requests/s, error rate, p50/p99 and spend over the last hour or day come
  // from the request log (controld's /request/stats: exact percentiles, per
  // minute or per 15 minutes); the deployments' state from nginx's status.
  const windows = { hour: { window: '1h', bucket: 60, label: 'last hour, per minute' },
    day: { window: '24h', bucket: 900, label: 'last day, per 15 minutes' } };
  const ms = (v) => v === null || v === undefined ? '—' : Math.round(v) + ' ms';

  async function overview(page) {
    const cfg = await getConfig();
    const deps = deploymentMap(cfg);
    const stats = {
      rps: h('div', { class: 'stat', id: 'ov-rps' }, '—'), err: h('div', { class: 'stat', id: 'ov-err' }, '—'),
      lat: h('div', { class: 'stat', id: 'ov-lat' }, '—'), spend: h('div', { class: 'stat', id: 'ov-spend' }, '—'),
    };
    const note = h('span', { class: 'muted', id: 'ov-window-note' });
    const spanSel = h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Time span' },
      ...Object.keys(windows).map((k) => h('button', { type: 'button', class: 'secondary', 'data-span': k,
        'aria-pressed': k === 'hour' ? 'true' : 'false', onclick: () => { spanKey = k; loadStats().catch((e) => toast(e.message)); } },
      k === 'hour' ? 'Last hour' : 'Last day')), note);
    const rateChart = h('div', { class: 'chart', id: 'ov-chart-rps' });
    const errChart = h('div', { class: 'chart', id: 'ov-chart-err' });
    const latChart = h('div', { class: 'chart', id: 'ov-chart-lat' });
    const spendChart = h('div', { class: 'chart', id: 'ov-chart-spend' });
    const daysChart = h('div', { class: 'chart' });
    const depBody = h('tbody');
    let spanKey = 'hour';   // the stat cards' and charts' window
    page.replaceChildren(
      h('h1', {}, 'Overview'), spanSel,
      h('div', { class: 'grid' },
        h('div', { class: 'card' }, h('h2', {}, 'Requests/s'), stats.rps),
        h('div', { class: 'card' }, h('h2', {}, 'Error rate'), stats.err, h('div', { class: 'muted' }, '4xx and 5xx')),
        h('div', { class: 'card' }, h('h2', {}, 'Latency p50 / p99'), stats.lat),
        h('div', { class: 'card' }, h('h2', {}, 'Spend'), stats.spend)),
      h('div', { class: 'grid' },
        h('div', { class: 'card' }, h('h2', {}, 'Requests/s'), rateChart),
        h('div', { class: 'card' }, h('h2', {}, 'Error rate'), errChart)),
      h('div', { class: 'grid' },
        h('div', { class: 'card' }, h('h2', {}, 'Latency p50 / p99'), latChart),
        h('div', { class: 'card' }, h('h2', {}, 'Spend'), spendChart)),
      h('div', { class: 'card' }, h('h2', {}, 'Spend per day, last 30 days'), daysChart),
      h('div', { class: 'card' }, h('h2', {}, 'Deployments'),
        h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Model'), h('th', {}, 'Deployment'),
          h('th', { class: 'opt' }, 'Provider'), h('th', {}, 'State'), h('th', { class: 'num' }, 'Requests'),
          h('th', { class: 'num opt' }, 'In flight'), h('th', { class: 'num' }, 'Spend'))), depBody)));

    const days = await api('/global/spend/days?days=30');
    const byDate = Object.fromEntries(days.map((d) => [d.date, d.spend]));
    const today = new Date().toISOString().slice(0, 10);
    const span = dayRange(new Date(Date.now() - 29 * 86400e3).toISOString().slice(0, 10), today);
    chart(daysChart, '', span.map((d) => Date.parse(d + 'T00:00:00Z') / 1000),
      [{ label: 'USD', values: span.map((d) => byDate[d] || 0) }], { bars: true, yfmt: (v) => '$' + v });

    const statCharts = [];
    async function loadStats() {
      const w = windows[spanKey];
      for (const b of spanSel.querySelectorAll('button')) b.setAttribute('aria-pressed', b.dataset.span === spanKey ? 'true' : 'false');
      const st = await api(`/request/stats?window=${w.window}&bucket=${w.bucket}`);
      note.textContent = w.label + (st.truncated ? ' (newest lines only: the log is large)' : '');
      const t = st.total;
      const seconds = st.until - st.since;
      stats.rps.textContent = (t.requests / seconds).toFixed(3);
      stats.err.textContent = t.requests ? (100 * t.errors / t.requests).toFixed(1) + ' %' : '0 %';
      stats.lat.textContent = `${ms(t.latency_ms.p50)} / ${ms(t.latency_ms.p99)}`;
      stats.spend.textContent = usd(t.cost);
      statCharts.splice(0).forEach((c) => c.destroy());
      charts = charts.filter((c) => c.root.isConnected);
      const xs = st.series.map((p) => p.t);
      const draw = (el, series, opts) => { el.replaceChildren(); statCharts.push(chart(el, '', xs, series, opts)); };
      draw(rateChart, [{ label: 'req/s', values: st.series.map((p) => p.requests / st.bucket) }]);
      draw(errChart, [{ label: 'errors %', values: st.series.map((p) => p.requests ? 100 * p.errors / p.requests : 0) }],
        { yfmt: (v) => v + ' %' });
      draw(latChart, [{ label: 'p50 ms', values: st.series.map((p) => p.latency_ms.p50) },
        { label: 'p99 ms', values: st.series.map((p) => p.latency_ms.p99) }], { spanGaps: true, points: true });
      draw(spendChart, [{ label: 'USD', values: st.series.map((p) => p.cost) }], { yfmt: (v) => '$' + v });
    }
    async function tick() {
      const g = await api('/gateway');
      const states = {};
      for (const d of g.status?.deployment_states || g.status?.deployments_state || []) states[d.id] = d;
      // deployments the config compiler set aside, with its reason
      const disabled = (cfg?.disabled || []).map((d) => h('tr', {}, h('td', {}, d.model_name), h('td', {}, d.model || ''),
        h('td', { class: 'opt' }, d.provider || ''),
        h('td', {}, h('span', { class: 'pill bad' }, `disabled: ${d.reason}`)), h('td', { class: 'num' }, '—'),
        h('td', { class: 'num opt' }, '—'), h('td', { class: 'num' }, '—')));
      depBody.replaceChildren(...disabled, ...Object.values(deps).map((d) => {
        const u = g.usage?.deployments?.[d.id] || {};
        const st = states[d.id];
        const state = st?.state || 'healthy';
        const cls = state === 'healthy' ? 'good' : state === 'disabled' ? 'bad' : 'warn';
        const label = st?.until ? `${state} until ${new Date(st.until * 1000).toLocaleTimeString()}`
            + (st.reason ? ` (${st.reason.replace('_', ' ')})` : '')
          : st?.reason ? `${state}: ${st.reason}` : state;
        return h('tr', {}, h('td', {}, d.model_name), h('td', {}, d.id), h('td', { class: 'opt' }, d.provider || ''),
          h('td', {}, h('span', { class: 'pill ' + cls }, label)), h('td', { class: 'num' }, num(u.requests || 0)),
          h('td', { class: 'num opt' }, num(u.in_flight || 0)), h('td', { class: 'num' }, usd((u.spend_micros || 0) / 1e6)));
      }));
    }
    await Promise.all([tick(), loadStats().catch((e) => { note.textContent = e.message; })]);
    timers.push(setInterval(() => tick().catch(() => {}), 5000));
    timers.push(setInterval(() => loadStats().catch(() => {}), 30000));
  }

  // ---- Keys and teams ----------------------------------------------------
  function budgetBar(spend, max) {
    if (max === null || max === undefined) return h('span', { class: 'muted' }, `${usd(spend)} · no budget`);
    const pct = max > 0 ? Math.min(100, 100 * spend / max) : 100;
    const bar = h('div', { class: 'bar' + (pct >= 100 ? ' over' : pct >= 80 ? ' high' : ''), role: 'img',
      'aria-label': `${pct.toFixed(0)} % of budget used` }, h('span', {}));
    bar.firstChild.style.width = pct + '%';
    return h('div', {}, bar, h('span', { class: 'muted' }, `${usd(spend)} of ${usd(max)}`));
  }
  async function listAll(path, field) {
    const out = [];
    for (let p = 1; p < 100; p++) {
      const doc = await api(`${path}${path.includes('?') ? '&' : '?'}page=${p}&size=100`);
      out.push(...(doc[field] || []));
      if (p >= (doc.total_pages || 1)) break;
    }
    return out;
  }

  async function keys(page) {
    const [all, teams] = await Promise.all([listAll('/key/list?return_full_object=true', 'keys'), api('/team/list')]);
    const search = h('input', { type: 'search', placeholder: 'Search alias, team, model', 'aria-label': 'Search keys' });
    const tbody = h('tbody');
    const newKeyBox = h('div');
    const formErr = h('p', { class: 'error', role: 'alert' });
    const f = {
      alias: h('input', { id: 'k-alias', name: 'key_alias' }),
      models: h('input', { id: 'k-models', name: 'models', placeholder: 'all' }),
      budget: h('input', { id: 'k-budget', name: 'max_budget', type: 'number', step: 'any', min: '0' }),
      duration: h('input', { id: 'k-bdur', name: 'budget_duration', placeholder: '30d' }),
      rpm: h('input', { id: 'k-rpm', name: 'rpm_limit', type: 'number', min: '0' }),
      tpm: h('input', { id: 'k-tpm', name: 'tpm_limit', type: 'number', min: '0' }),
      expires: h('input', { id: 'k-exp', name: 'expires', type: 'date' }),
      team: h('select', { id: 'k-team', name: 'team_id' }, h('option', { value: '' }, '(none)'),
        ...teams.map((t) => h('option', { value: t.team_id }, t.team_alias || t.team_id))),
      admin: h('input', { id: 'k-admin', type: 'checkbox' }),
    };
    f.admin.style.width = 'auto';
    let editing = null;
    const submit = h('button', { type: 'submit', id: 'k-submit' }, 'Create key');
    const cancel = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: () => resetForm() }, 'Cancel edit');
    const formTitle = h('h2', {}, 'New key');
    function resetForm() {
      editing = null;
      form.reset();
      formTitle.textContent = 'New key';
      submit.textContent = 'Create key';
      cancel.hidden = true;
    }
    const field = (label, el) => h('div', {}, h('label', { for: el.id }, label), el);
    const form = h('form', { id: 'key-form', onsubmit: async (ev) => {
      ev.preventDefault();
      formErr.textContent = '';
      const body = {
        key_alias: f.alias.value || null,
        models: f.models.value ? f.models.value.split(',').map((s) => s.trim()).filter(Boolean) : [],
        max_budget: f.budget.value === '' ? null : Number(f.budget.value),
        budget_duration: f.duration.value || null,
        rpm_limit: f.rpm.value === '' ? null : Number(f.rpm.value),
        tpm_limit: f.tpm.value === '' ? null : Number(f.tpm.value),
        expires: f.expires.value ? f.expires.value + 'T23:59:59Z' : null,
        team_id: f.team.value || null,
      };
      const meta = { ...(editing?.metadata || {}) };
      if (f.admin.checked) meta.role = 'admin'; else delete meta.role;
      body.metadata = meta;
      try {
        if (editing) {
          await api('/key/update', { method: 'POST', body: { key: editing.token, ...body } });
          toast('Key updated');
        } else {
          for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
          const made = await api('/key/generate', { method: 'POST', body });
          showNewKey(made.key, made.key_alias);
        }
        resetForm();
        await reload();
      } catch (e) { formErr.textContent = e.message; }
    } },
    formTitle,
    h('div', { class: 'row' }, field('Alias', f.alias), field('Models (comma separated)', f.models),
      field('Team', f.team), field('Budget (USD)', f.budget), field('Budget period', f.duration),
      field('Requests/min', f.rpm), field('Tokens/min', f.tpm), field('Expires (UTC day)', f.expires)),
    h('label', { for: 'k-admin' }, f.admin, ' admin role (may use this console as an admin)'),
    h('div', { class: 'actions' }, submit, cancel), formErr);

    function showNewKey(key, alias) {
      const code = h('code', { id: 'new-key' }, key);
      newKeyBox.replaceChildren(h('div', { class: 'newkey', role: 'alert' },
        h('strong', {}, `New key${alias ? ' “' + alias + '”' : ''}: shown only once.`), h('br'), code, ' ',
        h('button', { type: 'button', class: 'secondary', id: 'copy-key', onclick: async () => {
          try { await navigator.clipboard.writeText(key); toast('Copied'); } catch {
            const r = document.createRange(); r.selectNodeContents(code);
            getSelection().removeAllRanges(); getSelection().addRange(r); toast('Selected: press Ctrl+C');
          }
        } }, 'Copy'),
        h('button', { type: 'button', class: 'secondary', onclick: () => newKeyBox.replaceChildren() }, 'Done')));
      $('#copy-key').focus();
    }

    function edit(k) {
      editing = k;
      f.alias.value = k.key_alias || '';
      f.models.value = (k.models || []).join(', ');
      f.budget.value = k.max_budget ?? '';
      f.duration.value = k.budget_duration || '';
      f.rpm.value = k.rpm_limit ?? '';
      f.tpm.value = k.tpm_limit ?? '';
      f.expires.value = k.expires ? String(k.expires).slice(0, 10) : '';
      f.team.value = k.team_id || '';
      f.admin.checked = k.metadata?.role === 'admin';
      formTitle.textContent = `Edit key ${k.key_alias || k.key_name}`;
      submit.textContent = 'Save';
      cancel.hidden = false;
      f.alias.focus();
    }

    let rows = all;
    function render() {
      const q = search.value.trim().toLowerCase();
      const shown = rows.filter((k) => !q || [k.key_alias, k.key_name, k.team_id, ...(k.models || [])]
        .some((v) => v && String(v).toLowerCase().includes(q)));
      tbody.replaceChildren(...shown.map((k) => h('tr', { 'data-token': k.token },
        h('td', {}, k.key_alias || h('span', { class: 'muted' }, '(no alias)'), h('div', { class: 'muted' }, k.key_name)),
        h('td', { class: 'opt' }, k.team_id || ''),
        h('td', { class: 'opt' }, (k.models || []).length ? k.models.join(', ') : 'all'),
        h('td', {}, budgetBar(k.spend || 0, k.max_budget)),
        h('td', { class: 'opt' }, `${k.rpm_limit ?? '∞'} rpm / ${k.tpm_limit ?? '∞'} tpm`),
        h('td', { class: 'opt' }, k.expires ? String(k.expires).slice(0, 10) : 'never'),
        h('td', {}, h('span', { class: 'pill ' + (k.blocked ? 'bad' : 'good') }, k.blocked ? 'blocked' : 'active'),
          k.metadata?.role === 'admin' ? h('span', { class: 'pill' }, 'admin') : null),
        h('td', {}, h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', onclick: () => edit(k) }, 'Edit'),
          h('button', { type: 'button', class: 'secondary', 'data-action': k.blocked ? 'unblock' : 'block',
            onclick: async () => {
              await api(k.blocked ? '/key/unblock' : '/key/block', { method: 'POST', body: { key: k.token } });
              toast(k.blocked ? 'Unblocked' : 'Blocked');
              await reload();
            } }, k.blocked ? 'Unblock' : 'Block'),
          h('button', { type: 'button', class: 'danger', 'data-action': 'delete', onclick: async () => {
            if (!confirm(`Delete key ${k.key_alias || k.key_name}?`)) return;
            await api('/key/delete', { method: 'POST', body: { keys: [k.token] } });
            toast('Deleted');
            await reload();
          } }, 'Delete'))))));
      if (!shown.length) tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No keys.')));
    }
    async function reload() {
      rows = await listAll('/key/list?return_full_object=true', 'keys');
      render();
    }
    search.addEventListener('input', render);

    // teams
    const teamBody = h('tbody');
    const tf = {
      alias: h('input', { id: 't-alias' }), budget: h('input', { id: 't-budget', type: 'number', step: 'any', min: '0' }),
      rpm: h('input', { id: 't-rpm', type: 'number', min: '0' }), tpm: h('input', { id: 't-tpm', type: 'number', min: '0' }),
    };
    const teamErr = h('p', { class: 'error', role: 'alert' });
    function renderTeams(list) {
      teamBody.replaceChildren(...list.map((t) => h('tr', {},
        h('td', {}, t.team_alias || t.team_id, h('div', { class: 'muted' }, t.team_id)),
        h('td', {}, budgetBar(t.spend || 0, t.max_budget)),
        h('td', { class: 'opt' }, `${t.rpm_limit ?? '∞'} rpm / ${t.tpm_limit ?? '∞'} tpm`),
        h('td', { class: 'num' }, (t.keys || []).length),
        h('td', {}, h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!confirm(`Delete team ${t.team_alias || t.team_id} and its keys?`)) return;
          await api('/team/delete', { method: 'POST', body: { team_ids: [t.team_id] } });
          route();
        } }, 'Delete')))));
      if (!list.length) teamBody.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No teams.')));
    }
    const teamForm = h('form', { onsubmit: async (ev) => {
      ev.preventDefault();
      teamErr.textContent = '';
      const body = { team_alias: tf.alias.value };
      if (tf.budget.value !== '') body.max_budget = Number(tf.budget.value);
      if (tf.rpm.value !== '') body.rpm_limit = Number(tf.rpm.value);
      if (tf.tpm.value !== '') body.tpm_limit = Number(tf.tpm.value);
      try { await api('/team/new', { method: 'POST', body }); toast('Team created'); route(); }
      catch (e) { teamErr.textContent = e.message; }
    } }, h('h2', {}, 'New team'),
    h('div', { class: 'row' }, field('Alias', tf.alias), field('Budget (USD)', tf.budget),
      field('Requests/min', tf.rpm), field('Tokens/min', tf.tpm)),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create team')), teamErr);

    page.replaceChildren(h('h1', {}, 'Keys and teams'), newKeyBox,
      h('div', { class: 'card' }, form),
      h('div', { class: 'card' }, h('div', { class: 'toolbar' }, search),
        h('table', { id: 'keys-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Key'), h('th', { class: 'opt' }, 'Team'),
          h('th', { class: 'opt' }, 'Models'), h('th', {}, 'Budget'), h('th', { class: 'opt' }, 'Limits'),
          h('th', { class: 'opt' }, 'Expires'), h('th', {}, 'State'), h('th', {}, ''))), tbody)),
      h('div', { class: 'card' }, h('h2', {}, 'Teams'),
        h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Team'), h('th', {}, 'Budget'),
          h('th', { class: 'opt' }, 'Limits'), h('th', { class: 'num' }, 'Keys'), h('th', {}, ''))), teamBody)),
      h('div', { class: 'card' }, teamForm));
    render();
    renderTeams(teams);
  }

  // ---- Spend -------------------------------------------------------------
  async function spend(page) {
    const cfg = await getConfig();
    const deps = deploymentMap(cfg);
    const keyList = await listAll('/key/list?return_full_object=true', 'keys');
    const alias = Object.fromEntries(keyList.map((k) => [k.token, k.key_alias || k.key_name]));
    const todayStr = new Date().toISOString().slice(0, 10);
    const weekAgo = new Date(Date.now() - 6 * 86400e3).toISOString().slice(0, 10);
    const from = h('input', { type: 'date', id: 's-from', value: weekAgo });
    const to = h('input', { type: 'date', id: 's-to', value: todayStr });
    const by = h('select', { id: 's-by' }, ...['key', 'team', 'model', 'provider', 'deployment']
      .map((k) => h('option', { value: k }, k)));
    const out = h('div');
    const csv = h('button', { type: 'button', class: 'secondary', id: 's-csv' }, 'Export CSV');
    page.replaceChildren(h('h1', {}, 'Spend'),
      h('div', { class: 'card' }, h('div', { class: 'toolbar' },
        h('div', {}, h('label', { for: 's-from' }, 'From (UTC)'), from),
        h('div', {}, h('label', { for: 's-to' }, 'To (UTC)'), to),
        h('div', {}, h('label', { for: 's-by' }, 'By'), by), csv)),
      out);
    let table = [];
    async function load() {
      const days = Math.min(400, Math.max(1, Math.ceil((Date.now() - Date.parse(from.value)) / 86400e3) + 1));
      const rows = (await api(`/global/spend/days?days=${days}`))
        .filter((d) => d.date >= from.value && d.date <= to.value).sort((a, b) => a.date.localeCompare(b.date));
      const kind = by.value;
      const list = (d) => kind === 'provider' ? d.deployments || []
        : d[{ key: 'keys', team: 'teams', model: 'models', deployment: 'deployments' }[kind]] || [];
      const idOf = (r) => {
        if (kind === 'provider') return deps[r.deployment_id]?.provider || 'unknown';
        const id = r.api_key ?? r.key ?? r.token ?? r.team_id ?? r.model ?? r.deployment_id ?? '?';
        return kind === 'key' ? (alias[id] || String(id).slice(0, 10)) : id;
      };
      const agg = new Map();
      const perDay = new Map();
      for (const d of rows) {
        for (const r of list(d)) {
          const id = idOf(r);
          const a = agg.get(id) || { id, spend: 0, requests: 0, prompt: 0, completion: 0 };
          a.spend += r.spend || 0; a.requests += r.requests || 0;
          a.prompt += r.prompt_tokens || 0; a.completion += r.completion_tokens || 0;
          agg.set(id, a);
          const k = d.date + '\u0000' + id;
          perDay.set(k, (perDay.get(k) || 0) + (r.spend || 0));
        }
      }
      table = [...agg.values()].sort((a, b) => b.spend - a.spend || b.requests - a.requests);
      const top = table.slice(0, 5).map((r) => r.id);
      const chartEl = h('div', { class: 'chart' });
      charts.forEach((c) => c.destroy()); charts = [];
      out.replaceChildren(
        h('div', { class: 'card' }, h('h2', {}, `Spend per day by ${kind}`), chartEl),
        h('div', { class: 'card' }, h('table', { id: 'spend-table' },
          h('thead', {}, h('tr', {}, h('th', {}, kind), h('th', { class: 'num' }, 'Spend'), h('th', { class: 'num' }, 'Requests'),
            h('th', { class: 'num opt' }, 'Prompt tokens'), h('th', { class: 'num opt' }, 'Completion tokens'))),
          h('tbody', {}, table.length ? table.map((r) => h('tr', {}, h('td', {}, r.id), h('td', { class: 'num' }, usd(r.spend)),
            h('td', { class: 'num' }, num(r.requests)), h('td', { class: 'num opt' }, num(r.prompt)),
            h('td', { class: 'num opt' }, num(r.completion))))
            : h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No spend in this range.'))))));
      const span = dayRange(from.value, to.value);
      const total = Object.fromEntries(rows.map((d) => [d.date, d.spend]));
      chart(chartEl, '', span.map((d) => Date.parse(d + 'T00:00:00Z') / 1000),
        (top.length ? top : ['total']).map((id) => ({ label: String(id),
          values: span.map((d) => id === 'total' ? total[d] || 0 : (perDay.get(d + '\u0000' + id) || 0)) })),
        { bars: top.length <= 1, yfmt: (v) => '$' + v });
    }
    csv.addEventListener('click', () => {
      const esc = (v) => /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v);
      const lines = [[by.value, 'spend_usd', 'requests', 'prompt_tokens', 'completion_tokens'].join(',')]
        .concat(table.map((r) => [r.id, r.spend, r.requests, r.prompt, r.completion].map(esc).join(',')));
      const a = h('a', { href: URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' })),
        download: `spend-by-${by.value}-${from.value}-${to.value}.csv` });
      document.body.append(a); a.click(); a.remove();
    });
    for (const el of [from, to, by]) el.addEventListener('change', () => load().catch((e) => toast(e.message)));
    await load();
  }

  // ---- Request log -------------------------------------------------------
  // controld's /request/log: the gateway's request log, newest first, paged;
  // the filters go to the server (a plain key's session gets its own lines).
  async function log(page) {
    const f = {
      model: h('input', { id: 'l-model', placeholder: 'any' }),
      status: h('input', { id: 'l-status', placeholder: '200, 429 or 5xx', pattern: '[1-5]([0-9]{2}|xx)' }),
      key: h('input', { id: 'l-key', placeholder: 'alias or hash prefix' }),
      since: h('input', { id: 'l-since', type: 'datetime-local' }),
      until: h('input', { id: 'l-until', type: 'datetime-local' }),
    };
    const out = h('div', { class: 'card' });
    const status = h('p', { class: 'muted', role: 'status', id: 'l-summary' });
    let pageNo = 1;
    const size = 50;
    const field = (label, el) => h('div', {}, h('label', { for: el.id }, label), el);
    page.replaceChildren(h('h1', {}, 'Request log'),
      h('form', { class: 'card', id: 'log-filters', onsubmit: (ev) => { ev.preventDefault(); pageNo = 1; load(); } },
        h('div', { class: 'toolbar' }, field('Model', f.model), field('Status', f.status), field('Key', f.key),
          field('Since', f.since), field('Until', f.until), h('button', { type: 'submit', id: 'l-apply' }, 'Filter'))),
      status, out);
    const epoch = (el) => String(Math.floor(Date.parse(el.value) / 1000));
    async function load() {
      const q = new URLSearchParams({ page: pageNo, size, order: 'desc' });
      for (const k of ['model', 'status', 'key']) if (f[k].value.trim()) q.set(k, f[k].value.trim());
      if (f.since.value) q.set('since', epoch(f.since));
      if (f.until.value) q.set('until', epoch(f.until));
      let doc;
      try { doc = await api('/request/log?' + q); } catch (e) {
        out.replaceChildren(h('p', { class: 'error', role: 'alert' }, e.message));
        return;
      }
      const rows = doc.entries;
      status.textContent = rows.length ? `${rows.length} requests on page ${pageNo}${doc.truncated ? ' (search stopped: narrow the filters)' : ''}`
        : doc.log_found ? 'No request matches.' : 'The request log is empty.';
      out.replaceChildren(h('table', { id: 'log-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Model'),
        h('th', { class: 'opt' }, 'Deployment'), h('th', {}, 'Status'), h('th', { class: 'opt' }, 'Key'),
        h('th', { class: 'num opt' }, 'Tokens in/out'), h('th', { class: 'num' }, 'Cost'), h('th', { class: 'num opt' }, 'ms'))),
      h('tbody', {}, rows.map((r) => h('tr', { 'data-request-id': r.request_id, tabindex: '0',
        title: `request ${r.request_id}${r.error ? ' · ' + r.error : ''}` },
        h('td', {}, new Date(r.ts * 1000).toLocaleString()),
        h('td', {}, r.model || ''), h('td', { class: 'opt' }, r.deployment || '—'),
        h('td', {}, h('span', { class: 'pill ' + (r.status < 400 ? 'good' : r.status < 500 ? 'warn' : 'bad') },
          r.error ? `${r.status} ${r.error}` : r.status)),
        h('td', { class: 'opt' }, r.key_alias || r.key_hash || 'master key'),
        h('td', { class: 'num opt' }, `${num(r.tokens_in || 0)}/${num(r.tokens_out || 0)}`),
        h('td', { class: 'num' }, usd(r.cost)), h('td', { class: 'num opt' }, num(r.latency_ms)))))),
      h('div', { class: 'pager' },
        h('button', { type: 'button', class: 'secondary', id: 'l-newer', disabled: pageNo <= 1, onclick: () => { pageNo--; load(); } }, 'Newer'),
        h('span', { class: 'muted' }, `page ${pageNo}`),
        h('button', { type: 'button', class: 'secondary', id: 'l-older', disabled: !doc.has_more, onclick: () => { pageNo++; load(); } }, 'Older')));
      // arrow keys move between rows (Tab reaches the first)
      out.querySelector('tbody')?.addEventListener('keydown', (ev) => {
        const next = ev.key === 'ArrowDown' ? ev.target.nextElementSibling : ev.key === 'ArrowUp' ? ev.target.previousElementSibling : null;
        if (next) { ev.preventDefault(); next.focus(); }
      });
    }
    await load();
  }

  // ---- Config ------------------------------------------------------------
  // What runs (config.yaml, or a named config applied in its place), the
  // named configs of the content store, and the same zero-failure reload as
  // llmctl reload / llmctl content execute: a config with errors is refused
  // and what runs stays.
  async function config(page) {
    configDoc = null;
    const [cfg, named] = await Promise.all([getConfig(), api('/config/named').catch((e) => ({ error: e.message }))]);
    const msg = h('p', { class: 'muted', role: 'status', id: 'config-status' });
    const problems = h('ul', { class: 'error', id: 'config-errors', role: 'alert' });
    const src = named.source || {};
    const refreshSoon = () => setTimeout(() => { if (location.hash === '#/config') route(); }, 1500);
    const failed = (e, what) => {
      msg.textContent = `${what}: ${e.message}`;
      problems.replaceChildren(...(e.messages || []).map((m) => h('li', {}, m)));
    };
    const running = src.named ? `named config ${src.named}, version ${src.version} (in place of ${src.base})`
      : `${src.base || 'config.yaml'}`;
    const rows = named.configs || [];
    const namedCard = named.error
      ? h('div', { class: 'card' }, h('h2', {}, 'Named configs'), h('p', { class: 'muted' }, named.error))
      : h('div', { class: 'card' }, h('h2', {}, 'Named configs'),
        h('p', { class: 'muted' }, 'Kept with every version under the content store (llmctl content lists the same ones). Applying one compiles it first, then reloads; a restart keeps running it until config.yaml is applied again.'),
        rows.length ? h('table', { id: 'named-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', { class: 'num' }, 'Versions'),
          h('th', { class: 'opt' }, 'Updated (UTC)'), h('th', {}, 'State'), h('th', {}, ''))),
        h('tbody', {}, rows.map((r) => h('tr', { 'data-name': r.name },
          h('td', {}, r.name), h('td', { class: 'num' }, r.versions), h('td', { class: 'opt' }, r.updated),
          h('td', {}, r.active ? h('span', { class: 'pill good' }, 'running') : ''),
          h('td', {}, h('button', { type: 'button', class: 'secondary', 'data-view': r.name, onclick: () => view(r.name) }, 'View'), ' ',
            h('button', { type: 'button', 'data-apply': r.name, disabled: r.active, onclick: async () => {
              problems.replaceChildren();
              try {
                const a = await api('/config/named/apply', { method: 'POST', body: { name: r.name } });
                msg.textContent = `Applying ${a.applying} version ${a.version}…`;
                refreshSoon();
              } catch (e) { failed(e, `${r.name} was not applied`); }
            } }, 'Apply'))))))
          : h('p', { class: 'muted', id: 'named-empty' }, 'No named configs yet.'),
        addForm());
    const viewOut = h('div', { id: 'named-view' });
    async function view(name) {
      try {
        const d = await api('/config/named/get?name=' + encodeURIComponent(name));
        viewOut.replaceChildren(h('div', { class: 'card' }, h('h2', {}, `${d.name}, version ${d.version} of ${d.versions} (secrets masked)`),
          d.ok ? null : h('p', { class: 'error' }, 'This version does not compile now:'),
          h('ul', { class: d.ok ? 'muted' : 'error' }, d.messages.map((m) => h('li', {}, m))),
          h('pre', { tabindex: '0' }, JSON.stringify(d.config, null, 2))));
        viewOut.scrollIntoView?.();
      } catch (e) { failed(e, name); }
    }
    function addForm() {
      const name = h('input', { id: 'named-name', required: true, maxlength: '64', autocomplete: 'off' });
      const yaml = h('textarea', { id: 'named-yaml', rows: '10', required: true, spellcheck: 'false', class: 'code' });
      return h('form', { id: 'named-add', onsubmit: async (ev) => {
        ev.preventDefault();
        problems.replaceChildren();
        try {
          const a = await api('/config/named/add', { method: 'POST', body: { name: name.value.trim(), yaml: yaml.value } });
          toast(`Saved ${a.name} version ${a.version}`);
          route();
        } catch (e) { failed(e, 'Not saved'); }
      } }, h('h3', {}, 'Add a named config (or a new version of one)'),
      h('div', {}, h('label', { for: 'named-name' }, 'Name'), name),
      h('div', {}, h('label', { for: 'named-yaml' }, 'config.yaml text'), yaml),
      h('button', { type: 'submit', id: 'named-save' }, 'Save (compiled first)'));
    }
    page.replaceChildren(h('h1', {}, 'Config'),
      h('div', { class: 'card' }, h('h2', {}, 'Running'),
        h('p', { id: 'config-running' }, running),
        h('p', {}, 'Reload re-reads the running config and .env and publishes them (the same zero-failure reload as llmctl reload: in-flight requests finish, a config with errors changes nothing).'),
        h('button', { type: 'button', id: 'apply-config', onclick: async () => {
          await api('/config/apply', { method: 'POST' });
          msg.textContent = 'Reload requested; the page shows the new config in a moment.';
          refreshSoon();
        } }, 'Reload'), ' ',
        src.named ? h('button', { type: 'button', class: 'secondary', id: 'apply-base', onclick: async () => {
          await api('/config/base/apply', { method: 'POST' });
          msg.textContent = `Going back to ${src.base}…`;
          refreshSoon();
        } }, 'Back to config.yaml') : null, msg, problems),
      namedCard, viewOut,
      h('div', { class: 'card' }, h('h2', {}, 'Active config (secrets masked)'),
        h('pre', { id: 'config-json', tabindex: '0' }, JSON.stringify(cfg, null, 2))));
  }

  // ---- My key (any signed-in key) -----------------------------------------
  async function self(page) {
    const doc = await api('/self');
    const k = doc.info || {};
    const row = (label, v) => h('tr', {}, h('th', {}, label), h('td', {}, v));
    page.replaceChildren(h('h1', {}, 'My key'),
      h('div', { class: 'card' }, h('table', { id: 'self-table' }, h('tbody', {},
        row('Alias', k.key_alias || '—'), row('Key', k.key_name || '—'),
        row('Spend (this period)', budgetBar(k.spend || 0, k.max_budget)),
        row('Lifetime spend', usd(k.lifetime_spend)),
        row('Budget period', k.budget_duration || '—'),
        row('Limits', `${k.rpm_limit ?? '∞'} requests/min, ${k.tpm_limit ?? '∞'} tokens/min, ${k.max_parallel_requests ?? '∞'} parallel`),
        row('Models', (k.models || []).length ? k.models.join(', ') : 'all'),
        row('Expires', k.expires || 'never'),
        row('State', k.blocked ? 'blocked' : 'active')))));
  }

  // ---- start -------------------------------------------------------------
  api('/session').then((s) => { session = s; showApp(); }).catch(() => showLogin());
})();
