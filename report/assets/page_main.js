// gdsweep's report page, part 4 of 4: the whole page: the controls, the
// summary the tests read, and the start: the embedded data (a report) or the
// dashboard's long polling.
(function (g) {
  'use strict';
  var view = g.view, config = g.config, byId = g.byId, STATES = g.STATES, normalize = g.normalize,
    visibleTrials = g.visibleTrials, charts = g.charts, rendered = g.rendered;
  function fillSelect(select, options, value) {
    select.textContent = '';
    options.forEach(function (o) {
      var opt = document.createElement('option');
      opt.value = o[0];
      opt.textContent = o[1];
      select.appendChild(opt);
    });
    select.value = value;
  }
  function renderAll() {
    var d = view.data;
    byId('study-name').textContent = d.study;
    document.title = d.study + ' · gdsweep';
    var counts = {};
    d.trials.forEach(function (t) { counts[t.state] = (counts[t.state] || 0) + 1; });
    byId('study-meta').textContent = d.trials.length + ' trials (' + STATES.filter(function (s) { return counts[s]; }).map(function (s) { return counts[s] + ' ' + s.toLowerCase(); }).join(', ') + ')' +
      (d.tag ? ' · sweep tag ' + d.tag : '') + (d.generated ? ' · ' + d.generated : '');
    if (view.tag && d.tags.indexOf(view.tag) < 0) view.tag = '';
    fillSelect(byId('tag-select'), [['', 'all']].concat(d.tags.map(function (t) { return [t, t]; })), view.tag);
    if (view.objective >= d.metrics.length) view.objective = 0;
    fillSelect(byId('objective-select'), d.metrics.map(function (m, k) { return [String(k), m + ' (' + d.directions[k] + ')']; }), String(view.objective));
    byId('objective-picker').hidden = d.metrics.length < 2;
    fillSelect(byId('state-filter'), [['', 'all']].concat(STATES.map(function (s) { return [s, s]; })), view.state);
    view.trialIndex = g.trialByNumber();
    var trials = visibleTrials();
    view.timings = {};
    [g.renderHistory, g.renderIntermediate, g.renderParallel, g.renderSlices, g.renderImportance, g.renderPareto, g.renderTimeline, g.renderTable].forEach(function (f) {
      var t0 = performance.now();
      try { f(trials); } catch (e) { window.__gdsweepErrors.push(f.name + ': ' + (e && e.stack || e)); }
      view.timings[f.name] = Math.round(performance.now() - t0);
    });
    if (view.firstRenderMs === undefined) view.firstRenderMs = Math.round(performance.now());
    writeSummary();
  }

  // What was drawn, for tests: per chart, the distinct trials among the data
  // of its series whose id starts with "trials" (the last value of each point);
  // the charts still waiting to come into view; and, for bench/report, when
  // the first view was drawn, each chart's setOption time, and the main
  // thread's long tasks (over 50 ms: [start, duration] in ms, page clock).
  var longTasks = [];
  if (window.PerformanceObserver && (PerformanceObserver.supportedEntryTypes || []).indexOf('longtask') >= 0) {
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) { longTasks.push([Math.round(e.startTime), Math.round(e.duration)]); });
    }).observe({ type: 'longtask', buffered: true });
  }
  var summaryPending = false;
  function scheduleSummary() {
    if (summaryPending) return;
    summaryPending = true;
    setTimeout(function () { summaryPending = false; writeSummary(); }, 50);
  }
  function writeSummary() {
    var analysis = view.data.analysis[view.tag] || view.data.analysis[''];
    var out = { rendered: true, timings: view.timings, first_render_ms: view.firstRenderMs, first_view_ms: g.firstViewMs, pending: Object.keys(g.pending), draw_ms: g.drawMs, long_tasks: longTasks, updates: view.updates, render_ms: Math.round(performance.now()), pwned: !!window.__pwned, pareto_front: analysis.pareto.length, trials: visibleTrials().length, table_rows: view.tableRows, charts: {}, finished: {}, importance: {}, errors: window.__gdsweepErrors };
    Object.keys(charts).forEach(function (id) {
      var seen = {};
      (charts[id].getOption().series || []).forEach(function (s) {
        if (String(s.id).indexOf('trials') !== 0) return;
        (s.data || []).forEach(function (item) {
          var v = Array.isArray(item) ? item : item && item.value;
          if (v) seen[v[v.length - 1]] = true;
        });
      });
      out.charts[id] = Object.keys(seen).length;
      out.finished[id] = !!rendered[id];
    });
    analysis.importance.forEach(function (list, k) { out.importance[view.data.metrics[k]] = list.length ? list[0].name : null; });
    byId('gdsweep-summary').textContent = JSON.stringify(out);
  }

  g.scheduleSummary = scheduleSummary;

  function wire() {
    byId('tag-select').addEventListener('change', function (e) { view.tag = e.target.value; view.page = 0; renderAll(); });
    byId('objective-select').addEventListener('change', function (e) { view.objective = Number(e.target.value); renderAll(); });
    byId('state-filter').addEventListener('change', function (e) { view.state = e.target.value; view.page = 0; g.renderTable(visibleTrials()); writeSummary(); });
    byId('text-filter').addEventListener('input', function (e) { view.text = e.target.value; view.page = 0; g.renderTable(visibleTrials()); writeSummary(); });
    byId('page-prev').addEventListener('click', function () { view.page = Math.max(0, view.page - 1); g.renderTable(visibleTrials()); });
    byId('page-next').addEventListener('click', function () { view.page += 1; g.renderTable(visibleTrials()); });
    window.addEventListener('beforeprint', g.drawPending);
    window.addEventListener('resize', function () { Object.keys(charts).forEach(function (id) { charts[id].resize(); }); });
  }

  // --- the dashboard: the same page, polling its data (or, with ?once, not) ---
  // Long polling: the server answers at once the first time, then holds each
  // request until the study changes (a new version) or `wait` ms pass (204).
  function poll() {
    var query = [];
    if (view.study) query.push('study=' + encodeURIComponent(view.study));
    if (view.version) query.push('since=' + encodeURIComponent(view.version), 'wait=' + (config.wait_ms || 20000));
    var asked = view.study;
    view.abort = new AbortController();
    fetch(config.data_url + (query.length ? '?' + query.join('&') : ''), { cache: 'no-store', signal: view.abort.signal }).then(function (r) {
      if (r.status === 204) return null;
      if (!r.ok) return r.text().then(function (t) { throw new Error(t || r.statusText); });
      var version = r.headers.get('X-Gdsweep-Version');
      return r.text().then(function (text) { return { text: text, version: version }; });
    }).then(function (answer) {
      if (answer && asked === view.study) {
        view.version = answer.version;
        view.data = normalize(JSON.parse(answer.text));
        view.study = view.data.study;
        view.updates.push(view.data.trials.filter(function (t) { return t.state === 'COMPLETE'; }).length);
        renderAll();
      }
      byId('live-status').textContent = (view.once ? 'snapshot (?once: no live updates) · ' : 'live · checked ') + new Date().toLocaleTimeString();
    }).catch(function (e) {
      view.version = null;
      if (e.name === 'AbortError') return;
      byId('live-status').textContent = 'cannot read the study: ' + e.message;
    }).then(function () { if (!view.once) setTimeout(poll, config.poll_ms || 1000); });
  }
  function loadStudies() {
    fetch(config.studies_url, { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (names) {
      byId('study-picker').hidden = names.length < 2;
      fillSelect(byId('study-select'), names.map(function (n) { return [n, n]; }), view.study || names[0] || '');
    }).catch(function (e) { byId('live-status').textContent = 'cannot list studies: ' + e.message; });
  }

  wire();
  if (config.mode === 'dashboard') {
    byId('study-select').addEventListener('change', function (e) { view.study = e.target.value; view.version = null; view.page = 0; view.tag = ''; if (view.abort) view.abort.abort(); });
    // ?once: one answer and no polling, so that the page finishes loading
    // (for screenshots: headless Chromium's --screenshot waits for it).
    view.once = new URLSearchParams(location.search).has('once');
    var wantedStudy = new URLSearchParams(location.search).get('study');
    if (wantedStudy) view.study = wantedStudy;
    loadStudies();
    poll();
  } else {
    view.data = normalize(JSON.parse(byId('gdsweep-data').textContent));
    renderAll();
  }
})(window.gdsweepPage);
