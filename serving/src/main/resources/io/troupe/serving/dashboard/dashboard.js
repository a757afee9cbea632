// Troupe's dashboard. Training mode (the admin port, index.html): learning curves from the server-sent events
// (GET /troupe/events), tables from the admin API's reads, pause / resume through its mutating routes with the token
// pasted in the page. Serving mode (the serving port, serving.html): per policy rows/s, batch sizes and queue from
// /metrics, latency percentiles from its histograms, drift from /v1/policies/{name}/drift. The admin port of a node
// that runs the serve role shows the same serving panel from /troupe/serving/* (the same answers). No CDN: uPlot is
// served from its webjar by the same port. Every request goes to a route the port has (a 404 would be a console
// error).
(function () {
  'use strict';
  const MAX_POINTS = 2000; // held per page; older points are thinned like the server does
  const CHARTS = [
    {id: 'return', title: 'Return (mean of 100 episodes)', series: ['mean_return_100']},
    {id: 'success', title: 'Success rate (100 episodes)', series: ['success_rate_100']},
    {id: 'steps', title: 'Env steps/s', series: ['steps_per_s']},
    {id: 'losses', title: 'Policy and value loss', series: ['losses/policy_loss', 'losses/value_loss']},
    {id: 'entropy', title: 'Entropy', series: ['losses/entropy']},
    {id: 'kl', title: 'Approximate KL', series: ['losses/approx_kl']},
    {id: 'lag', title: 'Policy lag', series: ['policy_lag_p50', 'policy_lag_max']},
    {id: 'updates', title: 'Learner updates/s', series: ['learner_updates_per_s']},
  ];
  const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
  const points = [];
  const charts = {};
  const state = {points: 0, firstPointMs: null, updates: 0, errors: []};
  window.troupeDashboard = state;

  const $ = (id) => document.getElementById(id);
  const fmt = (v, d) => v == null || Number.isNaN(v) ? '-' : Number(v).toLocaleString('en', {maximumFractionDigits: d});
  const cell = (text, num) => { const td = document.createElement('td'); td.textContent = text;
    if (num) td.className = 'num'; return td; };

  function thin() {
    const half = Math.floor(points.length / 2);
    const kept = points.slice(0, half).filter((p, i) => i % 2 === 0);
    points.splice(0, half, ...kept);
  }

  function addPoints(fresh) {
    for (const p of fresh) {
      const prev = points[points.length - 1];
      if (prev && p.wall_s > prev.wall_s && p.learner_updates != null && prev.learner_updates != null) {
        p.learner_updates_per_s = (p.learner_updates - prev.learner_updates) / (p.wall_s - prev.wall_s);
      }
      points.push(p);
      if (points.length > MAX_POINTS) thin();
    }
    if (fresh.length && state.firstPointMs == null) state.firstPointMs = performance.now();
    state.points = points.length;
  }

  function chartWidth() { return Math.max(280, Math.floor(($('curves').clientWidth - 16) / 2) - 4); }

  function draw() {
    const x = $('x-axis').value;
    for (const c of CHARTS) {
      const present = c.series.filter((s) => points.some((p) => p[s] != null));
      if (!present.length) continue;
      const data = [points.map((p) => p[x])].concat(present.map((s) => points.map((p) => p[s] ?? null)));
      let chart = charts[c.id];
      if (chart && (chart.x !== x || chart.names.join() !== present.join())) {
        chart.plot.destroy(); chart.el.remove(); chart = null;
      }
      if (!chart) {
        const el = document.createElement('div');
        el.id = 'chart-' + c.id;
        $('curves').appendChild(el);
        const opts = {title: c.title, width: chartWidth(), height: 220, scales: {x: {time: false}},
          axes: [{label: x === 'wall_s' ? 'wall time (s)' : 'env steps'}, {}],
          series: [{label: x}].concat(present.map((s, i) => ({label: s, stroke: COLORS[i % COLORS.length],
            width: 1.5, spanGaps: true})))};
        chart = charts[c.id] = {plot: new uPlot(opts, data, el), el: el, x: x, names: present};
      } else {
        chart.plot.setData(data);
      }
      chart.el.dataset.points = String(data[0].length);
    }
  }

  function connect() {
    const source = new EventSource('/troupe/events');
    source.addEventListener('update', (e) => {
      const u = JSON.parse(e.data);
      state.updates++;
      $('live').textContent = 'live'; $('live').className = 'on';
      addPoints(u.points);
      if (u.points.length) draw();
      resources(u.resources);
    });
    source.onerror = () => { $('live').textContent = 'reconnecting'; $('live').className = 'off'; };
  }

  function resources(r) {
    const rows = [
      ['heap used / committed / max (MiB)', [r.heap_used_bytes, r.heap_committed_bytes, r.heap_max_bytes]
        .map((b) => fmt(b == null ? null : b / 1048576, 0)).join(' / ')],
      ['GC collections / time (ms)', fmt(r.gc_count, 0) + ' / ' + fmt(r.gc_time_ms, 0)],
      ['process CPU (% of all cores)', fmt(r.process_cpu_load == null ? null : 100 * r.process_cpu_load, 1)],
      ['system load / cores', fmt(r.system_load_average, 2) + ' / ' + r.available_processors],
      ['threads', fmt(r.threads, 0)],
      ['resident memory (MiB)', fmt(r.resident_bytes == null ? null : r.resident_bytes / 1048576, 0)],
      ['native memory, PyTorch included (MiB, resident minus heap)',
        fmt(r.native_bytes == null ? null : r.native_bytes / 1048576, 0)],
      ['GPU memory', r.gpu_memory_bytes == null ? 'no GPU' : fmt(r.gpu_memory_bytes / 1048576, 0) + ' MiB'],
    ];
    fill('resources', rows.map(([k, v]) => [cell(k), cell(v, true)]));
  }

  function fill(tableId, rows) {
    const body = $(tableId).querySelector('tbody');
    body.replaceChildren(...rows.map((cells) => { const tr = document.createElement('tr');
      tr.append(...cells); return tr; }));
  }

  async function getJson(path) {
    const r = await fetch(path, {headers: {Accept: 'application/json'}});
    if (!r.ok) throw new Error(path + ': ' + r.status);
    return r.json();
  }

  async function refresh() {
    try {
      const s = await getJson('/troupe/status');
      $('job').textContent = s.run_id ? s.run_id + ' (' + s.env + ', ' + s.algorithm + ', ' + s.mode + ')'
        : 'node: ' + (s.node || 'no job reported here');
      fill('members', s.members.map((m) => [cell(m.address), cell(m.status), cell(m.roles.join(', ')),
        cell(m.reachable ? 'yes' : 'NO')]));
      const learners = s.members.filter((m) => m.roles.includes('learner')).map((m) => m.address);
      $('learner-host').textContent = 'learner role: ' + (learners.join(', ') || 'none');
      const byVersion = s.returns_by_reward_version || {};
      fill('rewards', Object.keys(byVersion).map((v) => [cell('v' + v), cell(fmt(byVersion[v].episodes, 0), true),
        cell(fmt(byVersion[v].mean_return, 2), true), cell(fmt(byVersion[v].mean_reward_return, 2), true)]));
    } catch (e) { /* the next refresh tries again */ }
    try {
      const a = await getJson('/troupe/agents');
      fill('agents', a.agents.map((g) => {
        const pause = document.createElement('button');
        pause.type = 'button';
        pause.textContent = String(g.state).toUpperCase() === 'PAUSED' ? 'resume' : 'pause';
        pause.className = 'agent-action';
        pause.dataset.agent = g.agent;
        pause.onclick = () => act(String(g.state).toUpperCase() === 'PAUSED' ? 'resume' : 'pause', [g.agent]);
        const td = document.createElement('td'); td.append(pause);
        return [cell(g.agent), cell(g.node), cell(g.state), cell(fmt(g.steps, 0), true), cell(fmt(g.episodes, 0), true),
          cell(fmt(g.policy_version, 0), true), cell(fmt(g.reward_version, 0), true), td];
      }));
    } catch (e) { /* as above */ }
    try {
      const r = await getJson('/troupe/replay');
      fill('shards', r.shards.map((s) => [cell(s.shard), cell(s.node), cell(s.state), cell(fmt(s.items, 0), true),
        cell(fmt(s.max_items, 0), true), cell(fmt(s.steps_stored, 0), true), cell(fmt(s.inserts, 0), true),
        cell(fmt(s.samples, 0), true)]));
    } catch (e) { /* as above */ }
  }

  async function act(action, agents) {
    const token = $('token').value.trim();
    const headers = {'Content-Type': 'application/json'};
    if (token) headers.Authorization = 'Bearer ' + token;
    const r = await fetch('/troupe/agents/' + action, {method: 'POST', headers: headers,
      body: JSON.stringify(agents.length ? {agents: agents} : {})});
    const body = await r.json();
    const out = $('action-result');
    if (r.ok) {
      out.textContent = action + ': ' + (body.paused || body.resumed || []).join(', ');
      out.className = 'done';
    } else {
      out.textContent = action + ' refused (' + r.status + '): ' + body.error;
      out.className = 'refused';
    }
    refresh();
  }

  // ---- serving panel: the serving port's own page, or the admin port of a node that runs the serve role
  const servingMode = document.body.dataset.mode === 'serving';
  const servingApi = servingMode
    ? {policies: '/v1/policies', metrics: '/metrics', drift: (n) => '/v1/policies/' + encodeURIComponent(n) + '/drift'}
    : {policies: '/troupe/serving/policies', metrics: '/troupe/serving/metrics',
      drift: (n) => '/troupe/serving/policies/' + encodeURIComponent(n) + '/drift'};
  const served = {t: null, rows: {}, batches: {}, points: []};
  window.troupeServing = served;

  /** Prometheus text as [{name, labels, value}]. */
  function parseMetrics(text) {
    const out = [];
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)$/.exec(line);
      if (!m) continue;
      const labels = {};
      for (const l of (m[3] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
      out.push({name: m[1], labels: labels, value: Number(m[4])});
    }
    return out;
  }

  function pick(metrics, name, labels) {
    const hit = metrics.find((x) => x.name === name && Object.keys(labels).every((k) => x.labels[k] === labels[k]));
    return hit ? hit.value : null;
  }

  /** A quantile of a cumulative histogram's buckets [{le, count}] (linear within the bucket). */
  function quantile(buckets, q) {
    const total = buckets[buckets.length - 1].count;
    if (!total) return null;
    let prevLe = 0; let prevCount = 0;
    for (const b of buckets) {
      if (b.count >= q * total) {
        if (!Number.isFinite(b.le)) return prevLe;
        return prevLe + (b.le - prevLe) * (q * total - prevCount) / Math.max(b.count - prevCount, 1e-9);
      }
      prevLe = b.le; prevCount = b.count;
    }
    return prevLe;
  }

  async function refreshServing() {
    let list; let metrics;
    try {
      list = await getJson(servingApi.policies);
      if (!servingMode) {
        if (!list.policies.length) return; // this node does not serve: the panel stays hidden
        $('serving-panel').hidden = false;
      }
      const r = await fetch(servingApi.metrics);
      metrics = parseMetrics(await r.text());
    } catch (e) {
      if (servingMode) { $('live').textContent = 'reconnecting'; $('live').className = 'off'; }
      return;
    }
    if (servingMode) { $('live').textContent = 'live'; $('live').className = 'on'; }
    const now = performance.now() / 1000;
    const dt = served.t == null ? null : now - served.t;
    const rates = {};
    const rows = [];
    const driftRows = [];
    const returns = [];
    for (const p of list.policies) {
      const sum = pick(metrics, 'troupe_serving_batch_size_sum', {policy: p.name}) || 0;
      const count = pick(metrics, 'troupe_serving_batch_size_count', {policy: p.name}) || 0;
      const prevSum = served.rows[p.name]; const prevCount = served.batches[p.name];
      const rate = dt && prevSum != null ? (sum - prevSum) / dt : null;
      const meanBatch = prevCount != null && count > prevCount ? (sum - prevSum) / (count - prevCount)
        : (count ? sum / count : null);
      served.rows[p.name] = sum; served.batches[p.name] = count;
      rates[p.name] = rate;
      let alarms = '-';
      if (pick(metrics, 'troupe_serving_drift_alarms', {policy: p.name}) != null) {
        const d = await getJson(servingApi.drift(p.name));
        alarms = d.alarms.length ? d.alarms.join(', ') : 'none';
        d.features.forEach((f, i) => driftRows.push([cell(p.name), cell(f), cell(fmt(d.featurePsi[i], 3), true),
          cell(fmt(d.featureKs[i], 3), true)]));
        driftRows.push([cell(p.name), cell('actions'), cell(fmt(d.actionPsi, 3), true), cell('')]);
        returns.push(p.name + ': ' + d.feedbackEpisodes + ' reported returns, mean ' + fmt(d.meanFeedbackReturn, 1)
          + ' vs evaluation ' + fmt(d.referenceReturn, 1)
          + (d.referenceVersion != null ? ' (profile of version ' + d.referenceVersion + ')' : '')
          + (d.alarms.includes('return') ? ' (DROPPED)' : ''));
      }
      rows.push([cell(p.name), cell(fmt(p.policyVersion, 0), true), cell(fmt(rate, 1), true),
        cell(fmt(meanBatch, 1), true), cell(fmt(pick(metrics, 'troupe_serving_queue_depth', {policy: p.name}), 0),
          true), cell(alarms)]);
    }
    served.t = now;
    fill('serving', rows);
    fill('drift', driftRows);
    $('drift-returns').textContent = returns.join('; ');
    const byRoute = {};
    for (const x of metrics) {
      if (x.name !== 'troupe_serving_request_seconds_bucket') continue;
      (byRoute[x.labels.route] = byRoute[x.labels.route] || []).push({le: x.labels.le === '+Inf' ? Infinity
        : Number(x.labels.le), count: x.value});
    }
    fill('latency', Object.keys(byRoute).sort().map((route) => {
      const b = byRoute[route].sort((a, c) => a.le - c.le);
      const ms = (q) => { const v = quantile(b, q); return fmt(v == null ? null : 1000 * v, 2); };
      return [cell(route), cell(fmt(b[b.length - 1].count, 0), true), cell(ms(0.5), true), cell(ms(0.9), true),
        cell(ms(0.99), true)];
    }));
    if (dt != null) {
      const point = {wall_s: now};
      for (const name of Object.keys(rates)) point['rows/s ' + name] = rates[name];
      served.points.push(point);
      if (served.points.length > MAX_POINTS) served.points.splice(0, served.points.length - MAX_POINTS);
      if (servingMode) { state.points = served.points.length; }
      drawServing(Object.keys(rates).map((n) => 'rows/s ' + n));
    }
  }

  function drawServing(names) {
    if (!names.length) return;
    const pts = served.points;
    const data = [pts.map((p) => p.wall_s - pts[0].wall_s)].concat(names.map((n) => pts.map((p) => p[n] ?? null)));
    let chart = charts.serving;
    if (chart && chart.names.join() !== names.join()) { chart.plot.destroy(); chart.el.remove(); chart = null; }
    if (!chart) {
      const el = document.createElement('div');
      el.id = 'chart-serving';
      ($('serving-curves') || $('curves')).appendChild(el);
      const opts = {title: 'Rows served per second', width: chartWidth(), height: 220, scales: {x: {time: false}},
        axes: [{label: 'seconds since the page opened'}, {}],
        series: [{label: 's'}].concat(names.map((s, i) => ({label: s, stroke: COLORS[i % COLORS.length], width: 1.5,
          spanGaps: true})))};
      chart = charts.serving = {plot: new uPlot(opts, data, el), el: el, names: names};
    } else {
      chart.plot.setData(data);
    }
    chart.el.dataset.points = String(data[0].length);
  }

  if (servingMode) {
    refreshServing();
    setInterval(refreshServing, 2000);
  } else {
    $('pause-all').onclick = () => act('pause', []);
    $('resume-all').onclick = () => act('resume', []);
    $('x-axis').onchange = draw;
    connect();
    refresh();
    refreshServing();
    setInterval(refresh, 2000);
    setInterval(refreshServing, 2000);
  }
})();
