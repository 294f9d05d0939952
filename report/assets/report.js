// gdsweep's report page: renders a study's JSON (report/study_json.h) with
// ECharts. Every name and value from the database is shown as text (canvas
// text, textContent, or HTML-escaped in tooltips), never parsed as markup.
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('gdsweep-config').textContent);
  var STATES = ['COMPLETE', 'PRUNED', 'FAIL', 'RUNNING', 'WAITING'];
  var STATE_COLORS = { COMPLETE: '#2f6fdb', PRUNED: '#e08a00', FAIL: '#d32f2f', RUNNING: '#2e9d46', WAITING: '#9aa3b2' };
  var PAGE_SIZE = 100;
  var view = { data: null, tag: '', objective: 0, state: '', text: '', sortKey: 'n', sortDir: 1, page: 0, study: '', version: null, updates: [] };
  var charts = {};
  var rendered = {};

  function byId(id) { return document.getElementById(id); }
  function num(x) { return typeof x === 'string' ? Number(x) : x; }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function fmtNum(v) {
    if (v === null || v === undefined) return '';
    if (typeof v !== 'number') return String(v);
    if (!isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    var a = Math.abs(v);
    return (a !== 0 && (a < 1e-3 || a >= 1e6)) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
  }
  function paramText(p, v) {
    if (v === null || v === undefined) return '';
    if (p.type === 'categorical') return p.choices[v] !== undefined ? p.choices[v] : String(v);
    return fmtNum(v);
  }
  function fmtTime(s) {
    if (s === null || s === undefined) return '';
    var d = new Date(s * 1000);
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return d.getFullYear() + '-' + two(d.getMonth() + 1) + '-' + two(d.getDate()) + ' ' +
      two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  }
  function fmtDuration(t) {
    if (t.start === null || t.end === null) return '';
    var s = t.end - t.start;
    return s < 60 ? s.toFixed(1) + ' s' : s < 3600 ? (s / 60).toFixed(1) + ' min' : (s / 3600).toFixed(2) + ' h';
  }
  function better(direction, a, b) { return direction === 'maximize' ? a > b : a < b; }

  function normalize(data) {
    data.trials.forEach(function (t) {
      t.p = t.p.map(num);
      t.v = t.v.map(num);
      t.iv = t.iv.map(function (pt) { return [pt[0], num(pt[1])]; });
    });
    return data;
  }

  function visibleTrials() {
    var d = view.data;
    return view.tag === '' ? d.trials : d.trials.filter(function (t) { return t.tag === view.tag; });
  }
  function objectiveValue(t) {
    var v = t.v[view.objective];
    return t.state === 'COMPLETE' && typeof v === 'number' && isFinite(v) ? v : null;
  }
  function trialTooltip(t) {
    var d = view.data;
    var lines = ['<b>trial ' + t.n + '</b> ' + esc(t.state) + (t.tag ? ' · ' + esc(t.tag) : '')];
    t.v.forEach(function (v, k) { lines.push(esc(d.metrics[k]) + ': ' + esc(fmtNum(v))); });
    d.params.forEach(function (p, i) {
      if (t.p[i] !== null) lines.push(esc(p.name) + ' = ' + esc(paramText(p, t.p[i])));
    });
    if (t.reason) lines.push('reason: ' + esc(t.reason));
    return lines.join('<br>');
  }
  function trialByNumber() {
    var map = {};
    view.data.trials.forEach(function (t) { map[t.n] = t; });
    return map;
  }

  // One ECharts instance per element; every option replaces the previous one.
  function chartFor(id) {
    var elem = byId(id);
    var chart = charts[id];
    if (!chart || chart.getDom() !== elem) {
      chart = echarts.init(elem, null, { renderer: 'canvas' });
      charts[id] = chart;
      chart.on('finished', function () { rendered[id] = true; scheduleSummary(); });
    }
    return chart;
  }
  function show(id, option) {
    var elem = byId(id);
    var empty = elem.querySelector('.empty');
    if (empty) elem.removeChild(empty);
    rendered[id] = false;
    option.animation = false;
    chartFor(id).setOption(option, true);
  }
  function showEmpty(id, text) {
    if (charts[id]) { charts[id].dispose(); delete charts[id]; }
    delete rendered[id];
    var elem = byId(id);
    elem.textContent = '';
    var p = document.createElement('div');
    p.className = 'empty';
    p.textContent = text;
    elem.appendChild(p);
  }
  function axisFor(p, extra) {
    var axis = extra || {};
    if (p.type === 'categorical') { axis.type = 'category'; axis.data = p.choices.slice(); }
    else if (p.log) { axis.type = 'log'; axis.logBase = 10; }
    else { axis.type = 'value'; axis.scale = true; }
    axis.name = p.name;
    return axis;
  }
  function axisValue(p, v) { return p.type === 'categorical' ? p.choices[v] : v; }
  var tooltipByNumber = {
    trigger: 'item', confine: true,
    formatter: function (item) {
      var v = item.value || item.data;
      var t = view.trialIndex[v[v.length - 1]];
      return t ? trialTooltip(t) : '';
    }
  };

  function renderHistory(trials) {
    var d = view.data, k = view.objective, dir = d.directions[k];
    var points = [], best = [], current = null;
    trials.slice().sort(function (a, b) { return a.n - b.n; }).forEach(function (t) {
      var v = objectiveValue(t);
      if (v === null) return;
      points.push([t.n, v, t.n]);
      if (current === null || better(dir, v, current)) current = v;
      best.push([t.n, current]);
    });
    if (!points.length) return showEmpty('chart-history', 'No COMPLETE trial yet.');
    show('chart-history', {
      grid: { left: 70, right: 30, top: 30, bottom: 40 },
      tooltip: tooltipByNumber,
      legend: { data: [d.metrics[k], 'best so far'] },
      xAxis: { type: 'value', name: 'trial', scale: true },
      yAxis: { type: 'value', name: d.metrics[k], scale: true },
      series: [
        { id: 'trials', name: d.metrics[k], type: 'scatter', symbolSize: 6, large: true, data: points, itemStyle: { color: '#2f6fdb' } },
        { id: 'best', name: 'best so far', type: 'line', step: 'end', showSymbol: false, data: best, lineStyle: { color: '#d32f2f' }, itemStyle: { color: '#d32f2f' }, tooltip: { show: false } }
      ]
    });
  }

  var MERGE_CURVES_ABOVE = 150;
  // One line series per trial; above MERGE_CURVES_ABOVE curves, one series per
  // state with the curves separated by gaps (far cheaper to draw).
  function curveSeries(id, state, curves) {
    var data = [], marks = {};
    curves.forEach(function (t) {
      t.iv.forEach(function (pt) { data.push([pt[0], pt[1], t.n]); });
      marks[data.length - 1] = true;
      data.push(['-', '-', t.n]);
    });
    var marked = state === 'PRUNED' || state === 'FAIL';
    return {
      id: id, type: 'line', data: data, symbol: 'circle', showSymbol: marked, showAllSymbol: true, connectNulls: false,
      symbolSize: function (value, params) { return marked && marks[params.dataIndex] ? 7 : 0; },
      lineStyle: { width: 1.2, opacity: 0.75, color: STATE_COLORS[state] || '#888', type: state === 'PRUNED' ? 'dashed' : state === 'FAIL' ? 'dotted' : 'solid' },
      itemStyle: { color: STATE_COLORS[state] || '#888' }
    };
  }
  function renderIntermediate(trials) {
    var curves = trials.filter(function (t) { return t.iv.length > 0; });
    if (!curves.length) return showEmpty('chart-intermediate', 'No trial reported intermediate values.');
    var series = [];
    if (curves.length > MERGE_CURVES_ABOVE) {
      STATES.forEach(function (state) {
        var of = curves.filter(function (t) { return t.state === state; });
        if (of.length) series.push(curveSeries('trials-' + state, state, of));
      });
    } else {
      curves.forEach(function (t) { series.push(curveSeries('trials-' + t.n, t.state, [t])); });
    }
    show('chart-intermediate', {
      grid: { left: 70, right: 30, top: 30, bottom: 40 },
      tooltip: tooltipByNumber,
      xAxis: { type: 'value', name: 'step', scale: true },
      yAxis: { type: 'value', name: view.data.metrics[0], scale: true },
      series: series
    });
  }

  function renderParallel(trials) {
    var d = view.data, k = view.objective;
    var axes = d.params.map(function (p, i) { return axisFor(p, { dim: i }); });
    axes.push({ dim: d.params.length, type: 'value', scale: true, name: d.metrics[k] });
    var rows = [];
    trials.forEach(function (t) {
      var v = objectiveValue(t);
      if (v === null) return;
      var row = d.params.map(function (p, i) { return t.p[i] === null ? '-' : axisValue(p, t.p[i]); });
      row.push(v, t.n);
      rows.push(row);
    });
    if (!rows.length || !d.params.length) return showEmpty('chart-parallel', 'No COMPLETE trial with parameters yet.');
    var values = rows.map(function (r) { return r[d.params.length]; });
    show('chart-parallel', {
      parallel: { left: 60, right: 90, top: 50, bottom: 30, parallelAxisDefault: { nameLocation: 'end', nameGap: 14, nameTextStyle: { fontSize: 11 } } },
      parallelAxis: axes,
      tooltip: tooltipByNumber,
      visualMap: { type: 'continuous', dimension: d.params.length, min: Math.min.apply(null, values), max: Math.max.apply(null, values),
        inverse: d.directions[k] === 'minimize', right: 0, top: 'center', calculable: true, inRange: { color: ['#d32f2f', '#f2c14e', '#2f6fdb'] } },
      series: [{ id: 'trials', type: 'parallel', data: rows, lineStyle: { width: 1, opacity: 0.5 }, progressive: 2000 }]
    });
  }

  function renderSlices(trials) {
    var d = view.data, k = view.objective, box = byId('slices');
    var wanted = d.params.map(function (p, i) { return 'chart-slice-' + i; });
    Array.prototype.slice.call(box.children).forEach(function (c) {
      if (wanted.indexOf(c.id) < 0) {
        if (charts[c.id]) { charts[c.id].dispose(); delete charts[c.id]; delete rendered[c.id]; }
        box.removeChild(c);
      }
    });
    if (!d.params.length) { box.textContent = 'The study has no parameters.'; return; }
    var numbers = trials.map(function (t) { return t.n; });
    var minN = numbers.length ? Math.min.apply(null, numbers) : 0, maxN = numbers.length ? Math.max.apply(null, numbers) : 1;
    d.params.forEach(function (p, i) {
      var id = 'chart-slice-' + i;
      if (!byId(id)) {
        var div = document.createElement('div');
        div.className = 'chart';
        div.id = id;
        box.appendChild(div);
      }
      var points = [];
      trials.forEach(function (t) {
        var v = objectiveValue(t);
        if (v === null || t.p[i] === null) return;
        points.push([t.p[i], v, t.n]);
      });
      if (!points.length) return showEmpty(id, p.name + ': no COMPLETE trial has it.');
      show(id, {
        title: { text: p.name + (p.log ? ' (log)' : ''), textStyle: { fontSize: 12 }, left: 'center' },
        grid: { left: 60, right: 20, top: 36, bottom: 40 },
        tooltip: tooltipByNumber,
        xAxis: axisFor(p, { nameLocation: 'middle', nameGap: 26 }),
        yAxis: { type: 'value', scale: true, name: d.metrics[k] },
        visualMap: { show: false, dimension: 2, min: minN, max: Math.max(maxN, minN + 1), inRange: { color: ['#c6dbef', '#08306b'] } },
        series: [{ id: 'trials', type: 'scatter', symbolSize: 6, large: true, data: points }]
      });
    });
  }

  function renderImportance() {
    var d = view.data, analysis = d.analysis[view.tag] || d.analysis[''];
    var list = (analysis.importance[view.objective] || []).slice().reverse();
    if (!list.length) return showEmpty('chart-importance', 'Needs at least 3 COMPLETE trials.');
    show('chart-importance', {
      grid: { left: 160, right: 40, top: 20, bottom: 30 },
      tooltip: { trigger: 'item', formatter: function (item) { return esc(item.name) + ': ' + esc(item.value.toFixed(3)); } },
      xAxis: { type: 'value', max: 1 },
      yAxis: { type: 'category', data: list.map(function (x) { return x.name; }), axisLabel: { width: 150, overflow: 'truncate' } },
      series: [{ id: 'importance', type: 'bar', data: list.map(function (x) { return x.importance; }), itemStyle: { color: '#2f6fdb' },
        label: { show: true, position: 'right', formatter: function (item) { return item.value.toFixed(3); } } }]
    });
  }

  function renderPareto(trials) {
    var d = view.data, m = d.directions.length;
    var section = byId('pareto');
    section.hidden = m < 2;
    byId('pareto-link').hidden = m < 2;
    if (m < 2) { if (charts['chart-pareto']) { charts['chart-pareto'].dispose(); delete charts['chart-pareto']; delete rendered['chart-pareto']; } return; }
    if (m > 3) return showEmpty('chart-pareto', 'The front is drawn for 2 or 3 objectives; see the trials table.');
    var analysis = d.analysis[view.tag] || d.analysis[''];
    var front = {};
    analysis.pareto.forEach(function (n) { front[n] = true; });
    var complete = trials.filter(function (t) {
      return t.state === 'COMPLETE' && t.v.length === m && t.v.every(function (v) { return isFinite(v); });
    });
    if (!complete.length) return showEmpty('chart-pareto', 'No COMPLETE trial yet.');
    var pairs = m === 2 ? [[0, 1]] : [[0, 1], [0, 2], [1, 2]];
    var grids = [], xAxes = [], yAxes = [], series = [];
    pairs.forEach(function (pair, g) {
      var width = 100 / pairs.length;
      grids.push({ left: (g * width + 6) + '%', width: (width - 10) + '%', top: 50, bottom: 50 });
      xAxes.push({ gridIndex: g, type: 'value', scale: true, name: d.metrics[pair[0]], nameLocation: 'middle', nameGap: 28 });
      yAxes.push({ gridIndex: g, type: 'value', scale: true, name: d.metrics[pair[1]] });
      [['front', true, '#d32f2f'], ['others', false, '#9ab3e0']].forEach(function (kind) {
        series.push({
          id: 'trials-' + kind[0] + '-' + g, name: kind[1] ? 'Pareto front' : 'other trials', type: 'scatter', xAxisIndex: g, yAxisIndex: g,
          symbolSize: kind[1] ? 9 : 6, itemStyle: { color: kind[2] }, large: true,
          data: complete.filter(function (t) { return !!front[t.n] === kind[1]; }).map(function (t) { return [t.v[pair[0]], t.v[pair[1]], t.n]; })
        });
      });
    });
    show('chart-pareto', { legend: { data: ['Pareto front', 'other trials'] }, tooltip: tooltipByNumber, grid: grids, xAxis: xAxes, yAxis: yAxes, series: series });
  }

  // Lanes: one per worker and slot: a worker's trials (or, for trials made
  // by Optuna, all trials without a worker) are packed into as few rows as
  // their overlaps need, so a worker running 3 at a time shows 3 rows.
  function timelineLanes(trials, now) {
    var groups = {}, order = [];
    trials.forEach(function (t) {
      var key = t.worker || '';
      if (!groups[key]) { groups[key] = []; order.push(key); }
      groups[key].push(t);
    });
    var names = [], laneOf = {};
    order.forEach(function (key) {
      var freeAt = [], first = names.length;
      groups[key].sort(function (a, b) { return a.start - b.start || a.n - b.n; }).forEach(function (t) {
        var end = t.end !== null ? t.end : now, slot = -1;
        for (var i = 0; i < freeAt.length; ++i) { if (freeAt[i] <= t.start) { slot = i; break; } }
        if (slot < 0) { slot = freeAt.length; freeAt.push(0); }
        freeAt[slot] = end;
        laneOf[t.n] = first + slot;
      });
      freeAt.forEach(function (x, i) {
        names.push(key ? key + (freeAt.length > 1 ? ' · ' + (i + 1) : '') : 'lane ' + (i + 1));
      });
    });
    return { names: names, of: function (t) { return laneOf[t.n]; } };
  }
  function renderTimeline(trials) {
    var started = trials.filter(function (t) { return t.start !== null; });
    if (!started.length) return showEmpty('chart-timeline', 'No trial has started yet.');
    var now = Date.now() / 1000;
    var lanes = timelineLanes(started, now);
    var data = started.map(function (t) {
      var end = t.end !== null ? t.end : Math.max(now, t.start);
      return [lanes.of(t), t.start * 1000, Math.max(end, t.start) * 1000, STATES.indexOf(t.state), t.n];
    });
    show('chart-timeline', {
      grid: { left: 160, right: 30, top: 20, bottom: 40 },
      tooltip: { trigger: 'item', confine: true, formatter: function (item) {
        var t = view.trialIndex[item.value[4]];
        if (!t) return '';
        return trialTooltip(t) + '<br>attempt ' + t.attempt + (t.retry_of !== null ? ' (retry of trial ' + t.retry_of + ')' : '') +
          '<br>' + esc(fmtTime(t.start)) + ' &rarr; ' + esc(fmtTime(t.end)) + (t.worker ? '<br>worker ' + esc(t.worker) : '');
      } },
      xAxis: { type: 'time', scale: true },
      yAxis: { type: 'category', data: lanes.names, axisLabel: { width: 150, overflow: 'truncate' } },
      series: [{
        id: 'trials', type: 'custom', data: data, encode: { x: [1, 2], y: 0 },
        renderItem: function (params, api) {
          var start = api.coord([api.value(1), api.value(0)]);
          var end = api.coord([api.value(2), api.value(0)]);
          var height = api.size([0, 1])[1] * 0.6;
          var shape = echarts.graphic.clipRectByRect({ x: start[0], y: start[1] - height / 2, width: Math.max(end[0] - start[0], 2), height: height },
            { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height });
          return shape && { type: 'rect', shape: shape, style: { fill: STATE_COLORS[STATES[api.value(3)]] || '#888', stroke: '#fff', lineWidth: 0.5 } };
        }
      }]
    });
  }

  // --- the trials table ---
  function columns() {
    var d = view.data;
    var cols = [
      { key: 'n', title: '#', value: function (t) { return t.n; } },
      { key: 'state', title: 'state', value: function (t) { return t.state; }, cls: function (t) { return 'state-' + t.state; } },
      { key: 'tag', title: 'tag', value: function (t) { return t.tag; } },
      { key: 'attempt', title: 'attempt', value: function (t) { return t.attempt; }, text: function (t) { return t.attempt + (t.retry_of !== null ? ' (of #' + t.retry_of + ')' : ''); } }
    ];
    d.metrics.forEach(function (m, k) {
      cols.push({ key: 'v' + k, title: m, value: function (t) { return t.v.length > k ? t.v[k] : null; }, text: function (t) { return t.v.length > k ? fmtNum(t.v[k]) : ''; } });
    });
    d.params.forEach(function (p, i) {
      cols.push({ key: 'p' + i, title: p.name, value: function (t) { return t.p[i]; }, text: function (t) { return paramText(p, t.p[i]); } });
    });
    cols.push(
      { key: 'duration', title: 'duration', value: function (t) { return t.start !== null && t.end !== null ? t.end - t.start : null; }, text: fmtDuration },
      { key: 'start', title: 'started', value: function (t) { return t.start; }, text: function (t) { return fmtTime(t.start); } },
      { key: 'reason', title: 'failure reason', value: function (t) { return t.reason; }, cls: function () { return 'reason'; } },
      { key: 'log', title: 'log tail', value: function (t) { return t.log; }, cell: logCell },
      { key: 'url', title: 'MLflow run', value: function (t) { return t.url; }, cell: linkCell });
    return cols;
  }
  function logCell(td, t) {
    if (!t.log) return;
    var details = document.createElement('details');
    var summary = document.createElement('summary');
    summary.textContent = 'log';
    var pre = document.createElement('pre');
    pre.textContent = t.log;
    details.appendChild(summary);
    details.appendChild(pre);
    td.appendChild(details);
  }
  function linkCell(td, t) {
    if (!/^https?:\/\//.test(t.url)) return;
    var a = document.createElement('a');
    a.href = t.url;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.textContent = 'run';
    td.appendChild(a);
  }
  // The filter: whitespace-separated terms, all of which must hold: name=value,
  // name>x, name<x on a parameter, value or column title; any other term is
  // looked for in the row's text.
  function rowFilter(cols) {
    var terms = view.text.trim().split(/\s+/).filter(Boolean).map(function (term) {
      var m = /^([^=<>]+)(=|<|>)(.*)$/.exec(term);
      return m ? { name: m[1].toLowerCase(), op: m[2], arg: m[3].toLowerCase() } : { text: term.toLowerCase() };
    });
    return function (t) {
      if (view.state && t.state !== view.state) return false;
      return terms.every(function (term) {
        if (term.text !== undefined) {
          return cols.some(function (c) { var s = c.text ? c.text(t) : c.value(t); return String(s === null ? '' : s).toLowerCase().indexOf(term.text) >= 0; });
        }
        return cols.some(function (c) {
          if (c.title.toLowerCase() !== term.name) return false;
          var shown = String(c.text ? c.text(t) : c.value(t)).toLowerCase();
          if (term.op === '=') return shown === term.arg;
          var v = num(c.value(t)), x = Number(term.arg);
          if (typeof v !== 'number' || isNaN(x)) return false;
          return term.op === '<' ? v < x : v > x;
        });
      });
    };
  }
  function renderTable(trials) {
    var cols = columns();
    var head = byId('trials-table').tHead;
    head.textContent = '';
    var tr = head.insertRow();
    cols.forEach(function (c) {
      var th = document.createElement('th');
      th.textContent = c.title;
      if (c.key === view.sortKey) th.className = view.sortDir > 0 ? 'sorted-asc' : 'sorted-desc';
      th.addEventListener('click', function () {
        view.sortDir = view.sortKey === c.key ? -view.sortDir : 1;
        view.sortKey = c.key;
        renderTable(visibleTrials());
      });
      tr.appendChild(th);
    });
    var sortCol = cols.filter(function (c) { return c.key === view.sortKey; })[0] || cols[0];
    var rows = trials.filter(rowFilter(cols)).sort(function (a, b) {
      var x = sortCol.value(a), y = sortCol.value(b);
      if (x === y) return a.n - b.n;
      if (x === null || x === '' || x === undefined) return 1;
      if (y === null || y === '' || y === undefined) return -1;
      return (x < y ? -1 : 1) * view.sortDir;
    });
    var pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    view.page = Math.min(view.page, pages - 1);
    var first = view.page * PAGE_SIZE;
    var body = byId('trials-table').tBodies[0];
    body.textContent = '';
    rows.slice(first, first + PAGE_SIZE).forEach(function (t) {
      var row = body.insertRow();
      row.dataset.trial = t.n;
      cols.forEach(function (c) {
        var td = row.insertCell();
        if (c.cls) td.className = c.cls(t);
        if (c.cell) { c.cell(td, t); return; }
        var v = c.text ? c.text(t) : c.value(t);
        td.textContent = v === null || v === undefined ? '' : String(v);
      });
    });
    byId('page-info').textContent = rows.length ? (first + 1) + '-' + Math.min(first + PAGE_SIZE, rows.length) + ' of ' + rows.length : 'no trials';
    view.tableRows = rows.length;
  }

  // --- the whole page ---
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
    view.trialIndex = trialByNumber();
    var trials = visibleTrials();
    view.timings = {};
    [renderHistory, renderIntermediate, renderParallel, renderSlices, renderImportance, renderPareto, renderTimeline, renderTable].forEach(function (f) {
      var t0 = performance.now();
      try { f(trials); } catch (e) { window.__gdsweepErrors.push(f.name + ': ' + (e && e.stack || e)); }
      view.timings[f.name] = Math.round(performance.now() - t0);
    });
    if (view.firstRenderMs === undefined) view.firstRenderMs = Math.round(performance.now());
    writeSummary();
  }

  // What was drawn, for tests: per chart, the distinct trials among the data
  // of its series whose id starts with "trials" (the last value of each point).
  var summaryPending = false;
  function scheduleSummary() {
    if (summaryPending) return;
    summaryPending = true;
    setTimeout(function () { summaryPending = false; writeSummary(); }, 50);
  }
  function writeSummary() {
    var analysis = view.data.analysis[view.tag] || view.data.analysis[''];
    var out = { rendered: true, timings: view.timings, first_render_ms: view.firstRenderMs, updates: view.updates, render_ms: Math.round(performance.now()), pwned: !!window.__pwned, pareto_front: analysis.pareto.length, trials: visibleTrials().length, table_rows: view.tableRows, charts: {}, finished: {}, importance: {}, errors: window.__gdsweepErrors };
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

  function wire() {
    byId('tag-select').addEventListener('change', function (e) { view.tag = e.target.value; view.page = 0; renderAll(); });
    byId('objective-select').addEventListener('change', function (e) { view.objective = Number(e.target.value); renderAll(); });
    byId('state-filter').addEventListener('change', function (e) { view.state = e.target.value; view.page = 0; renderTable(visibleTrials()); writeSummary(); });
    byId('text-filter').addEventListener('input', function (e) { view.text = e.target.value; view.page = 0; renderTable(visibleTrials()); writeSummary(); });
    byId('page-prev').addEventListener('click', function () { view.page = Math.max(0, view.page - 1); renderTable(visibleTrials()); });
    byId('page-next').addEventListener('click', function () { view.page += 1; renderTable(visibleTrials()); });
    window.addEventListener('resize', function () { Object.keys(charts).forEach(function (id) { charts[id].resize(); }); });
  }

  // --- the dashboard: the same page, polling its data ---
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
      byId('live-status').textContent = 'live · checked ' + new Date().toLocaleTimeString();
    }).catch(function (e) {
      view.version = null;
      if (e.name === 'AbortError') return;
      byId('live-status').textContent = 'cannot read the study: ' + e.message;
    }).then(function () { setTimeout(poll, config.poll_ms || 1000); });
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
    var wantedStudy = new URLSearchParams(location.search).get('study');
    if (wantedStudy) view.study = wantedStudy;
    loadStudies();
    poll();
  } else {
    view.data = normalize(JSON.parse(byId('gdsweep-data').textContent));
    renderAll();
  }
})();
