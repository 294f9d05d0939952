// gdsweep's report page, part 1 of 4: the page's state and the helpers every
// view uses (formatting, escaping, the visible trials). Every name and value
// from the database is shown as text (canvas text, textContent, or
// HTML-escaped in tooltips), never parsed as markup. The parts share the
// `gdsweepPage` object; each adds what the others use.
(function (g) {
  'use strict';
  var config = JSON.parse(document.getElementById('gdsweep-config').textContent);
  var STATES = ['COMPLETE', 'PRUNED', 'FAIL', 'RUNNING', 'WAITING'];
  var STATE_COLORS = { COMPLETE: '#2f6fdb', PRUNED: '#e08a00', FAIL: '#d32f2f', RUNNING: '#2e9d46', WAITING: '#9aa3b2' };
  var PAGE_SIZE = 100;
  var view = { data: null, tag: '', objective: 0, state: '', text: '', sortKey: 'n', sortDir: 1, page: 0, study: '', version: null, updates: [] };

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


  g.config = config; g.STATES = STATES; g.STATE_COLORS = STATE_COLORS; g.PAGE_SIZE = PAGE_SIZE; g.view = view;
  g.byId = byId; g.num = num; g.esc = esc; g.fmtNum = fmtNum; g.paramText = paramText; g.fmtTime = fmtTime;
  g.fmtDuration = fmtDuration; g.better = better; g.normalize = normalize; g.visibleTrials = visibleTrials;
  g.objectiveValue = objectiveValue; g.trialTooltip = trialTooltip; g.trialByNumber = trialByNumber;
})(window.gdsweepPage = {});
