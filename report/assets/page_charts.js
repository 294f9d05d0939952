// gdsweep's report page, part 2 of 4: the charts (ECharts), one render
// function per view; each takes the visible trials. Series whose id starts
// with "trials" hold one point per trial, the trial number last (what the
// page's summary counts).
(function (g) {
  'use strict';
  var view = g.view, byId = g.byId, esc = g.esc, fmtNum = g.fmtNum, fmtTime = g.fmtTime, STATES = g.STATES,
    STATE_COLORS = g.STATE_COLORS, better = g.better, objectiveValue = g.objectiveValue, trialTooltip = g.trialTooltip;
  var charts = {};
  var rendered = {};
  // Charts are drawn when they come near the viewport (an IntersectionObserver);
  // until then their options wait in `pending` and cost nothing, so the first
  // view of a large study is ready without drawing every chart. `?render=all`
  // in the page's address draws every chart at once (the tests use it), and
  // so does the dashboard's snapshot mode `?once` (for screenshots).
  var pending = {};
  var near = {};
  var drawMs = {};
  var query = new URLSearchParams(location.search);
  var eager = query.get('render') === 'all' || (g.config.mode === 'dashboard' && query.has('once')) || !('IntersectionObserver' in window);
  var queue = [];
  var observer = eager ? null : new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      near[e.target.id] = e.isIntersecting;
      if (e.isIntersecting && pending[e.target.id] && queue.indexOf(e.target.id) < 0) queue.push(e.target.id);
    });
    drainQueue();
  }, { rootMargin: '150px 0px' });
  // One chart per task, so input is handled between two charts' drawing.
  function drainQueue() {
    var id = queue.shift();
    if (id === undefined) return;
    if (pending[id]) draw(id);
    if (queue.length) setTimeout(drainQueue, 0);
  }

  // One ECharts instance per element; every option replaces the previous one.
  function chartFor(id) {
    var elem = byId(id);
    var chart = charts[id];
    if (!chart || chart.getDom() !== elem) {
      chart = echarts.init(elem, null, { renderer: 'canvas' });
      charts[id] = chart;
      chart.on('finished', function () { rendered[id] = true; chartFinished(); });
    }
    return chart;
  }
  // The first view is ready once every chart drawn or queued so far has
  // finished ('finished' can fire inside setOption, hence the check after the
  // current task).
  function chartFinished() {
    setTimeout(function () {
      var drawn = Object.keys(charts);
      if (g.firstViewMs === undefined && !queue.length && drawn.length && drawn.every(function (id) { return rendered[id]; })) {
        g.firstViewMs = Math.round(performance.now());
      }
      g.scheduleSummary();
    }, 0);
  }
  function draw(id) {
    var option = pending[id];
    delete pending[id];
    var t0 = performance.now();
    chartFor(id).setOption(option, true);
    drawMs[id] = Math.round(performance.now() - t0);
  }
  function show(id, option) {
    var elem = byId(id);
    var empty = elem.querySelector('.empty');
    if (empty) elem.removeChild(empty);
    rendered[id] = false;
    option.animation = false;
    pending[id] = option;
    if (!observer || near[id]) return draw(id);
    observer.observe(elem);
  }
  function showEmpty(id, text) {
    disposeChart(id);
    var elem = byId(id);
    elem.textContent = '';
    var p = document.createElement('div');
    p.className = 'empty';
    p.textContent = text;
    elem.appendChild(p);
  }
  function disposeChart(id) {
    if (charts[id]) { charts[id].dispose(); delete charts[id]; }
    delete rendered[id];
    delete pending[id];
    if (queue.indexOf(id) >= 0) queue.splice(queue.indexOf(id), 1);
    if (observer && byId(id)) observer.unobserve(byId(id));
    delete near[id];
  }
  // Draws every chart still waiting (for tests, and before printing).
  function drawPending() { Object.keys(pending).forEach(draw); }
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
        { id: 'trials', name: d.metrics[k], type: 'scatter', symbolSize: 6, large: true, progressive: 2000, progressiveThreshold: 3000, data: points, itemStyle: { color: '#2f6fdb' } },
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
        disposeChart(c.id);
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
        series: [{ id: 'trials', type: 'scatter', symbolSize: 6, large: true, progressive: 2000, progressiveThreshold: 3000, data: points }]
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
    if (m < 2) { disposeChart('chart-pareto'); return; }
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

  g.charts = charts; g.rendered = rendered; g.pending = pending; g.drawMs = drawMs; g.drawPending = drawPending;
  g.renderHistory = renderHistory; g.renderIntermediate = renderIntermediate; g.renderParallel = renderParallel;
  g.renderSlices = renderSlices; g.renderImportance = renderImportance; g.renderPareto = renderPareto;
  g.renderTimeline = renderTimeline;
})(window.gdsweepPage);
