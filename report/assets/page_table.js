// gdsweep's report page, part 3 of 4: the trials table: sorts by any column,
// filters by state and by terms, pages of PAGE_SIZE rows; cells are text.
(function (g) {
  'use strict';
  var view = g.view, byId = g.byId, num = g.num, fmtNum = g.fmtNum, fmtTime = g.fmtTime, fmtDuration = g.fmtDuration,
    paramText = g.paramText, visibleTrials = g.visibleTrials, PAGE_SIZE = g.PAGE_SIZE;
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

  g.renderTable = renderTable;
})(window.gdsweepPage);
