/* cxray report: draws the charts from the JSON view island with Apache ECharts (inlined above).
 * Safety rule: text from data reaches the page only through textContent, <option>.text or ECharts
 * options rendered as SVG text; never through innerHTML or HTML tooltips built from strings. */
(function () {
  'use strict';
  var V = JSON.parse(document.getElementById('cxray-view').textContent);
  var charts = [];
  var byId = function (id) { return document.getElementById(id); };
  var nf = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
  var pct = function (x) { return (100 * x).toFixed(1) + '%'; };
  var secs = function (s) {
    if (s === null || s === undefined) return '—';
    if (s >= 172800) return (s / 86400).toFixed(1) + ' d';
    if (s >= 7200) return (s / 3600).toFixed(1) + ' h';
    if (s >= 90) return (s / 60).toFixed(1) + ' min';
    return Math.round(s) + ' s';
  };
  /* A tooltip as DOM nodes: one line per string, set as text. */
  var tip = function (lines) {
    var box = document.createElement('div');
    lines.forEach(function (line, i) {
      var el = document.createElement(i === 0 ? 'strong' : 'div');
      el.textContent = line;
      box.appendChild(el);
      if (i === 0) box.appendChild(document.createElement('br'));
    });
    return box;
  };
  var make = function (el) {
    var c = echarts.init(el, null, { renderer: 'svg' });
    charts.push(c);
    return c;
  };
  var note = function (id, text) { var el = byId(id); if (el) el.textContent = text; };

  /* ---------------------------------------------------------------- flow map */
  function flowMap() {
    var F = V.flow, el = byId('flowmap');
    if (!F || !el) return;
    var chart = make(el);
    var state = { mode: 'freq', dim: '', idx: 0, keep: 0, zoom: 1, overlay: false };
    /* Hand-offs the (documented or inferred) process has for no contact: "from-to" -> [from, to, moves, contacts]. */
    var off = {};
    ((V.overlay && V.overlay.edges) || []).forEach(function (e) { off[e[0] + '-' + e[1]] = e; });
    var offOf = function (e) { return state.overlay ? off[e[0] + '-' + e[1]] : undefined; };
    var layerSize = {};
    F.nodes.forEach(function (n) { layerSize[n.layer] = Math.max(layerSize[n.layer] || 0, n.order + 1); });
    /* Top to bottom: one row per layer, so the map grows downwards instead of squeezing steps. */
    /* Graph coordinates are pixels: two invisible anchors span the chart's width and its height is set
     * from the number of layers, so ECharts fits the map at scale 1 and boxes keep their size. */
    var widest = Math.max.apply(null, Object.keys(layerSize).map(function (k) { return layerSize[k]; }));
    var width = Math.max(600, (el.clientWidth || 1000) - 180);
    var gap = Math.max(100, Math.min(230, width / Math.max(1, widest - 1)));
    var boxW = Math.min(170, gap - 14), rowH = 84;
    var nLayers = Object.keys(layerSize).length;
    el.style.height = ((nLayers - 1) * rowH + 80) + 'px';
    var pos = F.nodes.map(function (n) {
      return [(n.order - (layerSize[n.layer] - 1) / 2) * gap, n.layer * rowH];
    });
    var half = Math.max(width, gap * (widest - 1)) / 2;
    var anchors = [-half, half].map(function (x, i) {
      return { id: 'anchor' + i, name: 'anchor' + i, x: x, y: 0, symbolSize: 0, label: { show: false },
        tooltip: { show: false }, silent: true };
    });
    var current = function () { return state.dim ? F.dims[state.dim][state.idx] : F.all; };
    var defaultKeep = function (edges) {
      if (edges.length <= 30) return edges.length;
      var total = edges.reduce(function (a, e) { return a + e[2]; }, 0), cum = 0, k = 0;
      while (k < edges.length && cum < 0.95 * total) { cum += edges[k][2]; k += 1; }
      return Math.min(edges.length, Math.max(20, Math.min(k, 60)));
    };
    var slider = byId('flow-keep');
    var resetKeep = function () {
      var edges = current().edges;
      slider.max = String(Math.max(1, edges.length));
      state.keep = defaultKeep(edges);
      slider.value = String(state.keep);
    };

    function draw() {
      var s = current(), edges = s.edges;
      var keep = Math.min(state.keep, edges.length);
      var shown = edges.slice(0, keep), hidden = edges.slice(keep);
      var total = edges.reduce(function (a, e) { return a + e[2]; }, 0);
      var hiddenSum = hidden.reduce(function (a, e) { return a + e[2]; }, 0);
      note('flow-note', 'Showing ' + shown.length + ' of ' + edges.length + ' connections (' +
        pct(total ? (total - hiddenSum) / total : 1) + ' of all transitions). ' +
        (hidden.length ? hidden.length + ' rarer connections are hidden by the slider; together they carry ' +
          nf.format(hiddenSum) + ' transitions (' + pct(total ? hiddenSum / total : 0) + ').' :
          'Nothing is hidden.') +
        (s.contacts !== null && s.contacts !== undefined ? ' Contacts in this view: ' + nf.format(s.contacts) + '.' : '') +
        overlayNote(shown, hidden));
      var maxSize = 1;
      Object.keys(s.size).forEach(function (k) { maxSize = Math.max(maxSize, s.size[k]); });
      var maxEdge = edges.length ? edges[0][2] : 1;
      var times = shown.filter(function (e) { return e[3] !== null && e[3] !== undefined; })
        .map(function (e) { return e[3]; }).sort(function (a, b) { return a - b; });
      var tMax = times.length ? times[times.length - 1] : 1;
      var timeColor = function (t) {
        if (t === null || t === undefined) return '#9aa5b1';
        var x = Math.log1p(t) / Math.log1p(tMax || 1);
        return 'hsl(' + Math.round(130 - 130 * x) + ',65%,42%)';
      };
      var present = {};
      shown.forEach(function (e) { present[e[0]] = true; present[e[1]] = true; });
      var nodes = [];
      F.nodes.forEach(function (n, i) {
        var size = s.size[String(i)] || 0;
        var isStep = n.kind === 'step';
        if (!present[i] && !(isStep && size > 0) && !(n.kind === 'start' && edges.length)) return;
        var heat = isStep ? Math.sqrt(size / maxSize) : 0;
        nodes.push({
          id: String(i), name: String(i), x: pos[i][0], y: pos[i][1], value: size,
          symbol: isStep ? 'roundRect' : 'circle',
          symbolSize: isStep ? [boxW, 40] : 20,
          itemStyle: isStep ? {
            color: state.mode === 'freq' ? 'hsl(210,70%,' + Math.round(94 - 50 * heat) + '%)' : '#eef3f8',
            borderColor: present[i] ? '#0b6bcb' : '#b0b8c1', borderType: present[i] ? 'solid' : 'dashed'
          } : { color: n.kind === 'start' ? '#2e7d32' : '#37474f' },
          label: {
            show: true, position: isStep ? 'inside' : 'right', width: boxW - 10, overflow: 'truncate', lineHeight: 14,
            color: isStep && state.mode === 'freq' && heat > 0.55 ? '#fff' : '#1d2733', fontSize: 11,
            formatter: function () { return isStep ? n.name + '\n' + nf.format(size) : n.name; }
          }
        });
      });
      var links = shown.map(function (e) {
        var timed = state.mode === 'time';
        return {
          source: String(e[0]), target: String(e[1]), value: e[2],
          lineStyle: {
            width: 1 + 7 * Math.sqrt(e[2] / maxEdge),
            color: offOf(e) ? '#d32f2f' : timed ? timeColor(e[3]) : '#5b7fa6',
            opacity: state.overlay && !offOf(e) ? 0.35 : 0.85, curveness: e[0] === e[1] ? 0.6 : 0.15,
            type: offOf(e) ? 'dashed' : 'solid'
          },
          label: {
            show: shown.length <= 25 || !!offOf(e), fontSize: 10, color: offOf(e) ? '#b3261e' : '#33404d',
            formatter: function () {
              var o = offOf(e);
              if (o) return nf.format(o[2]) + (timed ? ' · ' + secs(e[3]) : '');
              return timed ? secs(e[3]) : nf.format(e[2]);
            }
          },
          _e: e
        };
      });
      chart.setOption({
        animation: false,
        tooltip: {
          confine: true,
          formatter: function (p) {
            if (p.dataType === 'edge') {
              var e = p.data._e;
              var lines = [F.nodes[e[0]].name + ' → ' + F.nodes[e[1]].name, nf.format(e[2]) + ' transitions',
                'median ' + secs(e[3]) + ', mean ' + secs(e[4])];
              var o = off[e[0] + '-' + e[1]];
              if (o) lines.push(nf.format(o[3]) + ' contacts (over all contacts) took it: ' + offWhat);
              return tip(lines);
            }
            var n = F.nodes[+p.data.id];
            if (!n) return '';
            return tip([n.name, nf.format(p.data.value) + ' events']);
          }
        },
        series: [{
          type: 'graph', layout: 'none', roam: true, left: 90, right: 90, top: 40, bottom: 40, zoom: state.zoom, draggable: false,
          edgeSymbol: ['none', 'arrow'], edgeSymbolSize: 8, autoCurveness: false,
          emphasis: { focus: 'adjacency', edgeLabel: { show: true } },
          edgeLabel: { show: shown.length <= 25 },
          data: anchors.concat(nodes), links: links
        }]
      }, { replaceMerge: ['series'] });
    }

    var offWhat = V.overlay && V.overlay.documented ? 'outside the documented process' : 'off the inferred happy paths';
    function overlayNote(shown, hidden) {
      if (!state.overlay) return '';
      var n = function (list) { return list.filter(function (e) { return off[e[0] + '-' + e[1]]; }).length; };
      var on = n(shown), away = n(hidden), unplaced = V.overlay.unplaced || 0;
      return ' Highlighted in red: ' + on + ' hand-off' + (on === 1 ? '' : 's') + ' ' + offWhat +
        (state.dim ? ' (marked from all contacts)' : '') + '.' +
        (away ? ' ' + away + ' more ' + (away === 1 ? 'is' : 'are') + ' among the hidden rarer connections: move the detail slider to see ' + (away === 1 ? 'it' : 'them') + '.' : '') +
        (unplaced ? ' ' + unplaced + ' involve process steps not named as activities in the log, so they cannot be drawn.' : '');
    }
    var overlayBox = byId('flow-overlay');
    if (overlayBox) {
      if (!V.overlay) { byId('flow-overlay-label').hidden = true; }
      overlayBox.addEventListener('change', function () { state.overlay = overlayBox.checked; draw(); });
    }
    var dimSel = byId('flow-dim'), valSel = byId('flow-value');
    var dims = Object.keys(F.dims || {});
    if (!dims.length) {
      byId('flow-filter').hidden = true;
      byId('flow-filter-missing').hidden = false;
    }
    dims.forEach(function (d) { dimSel.appendChild(new Option(d, d)); });
    var fillValues = function () {
      while (valSel.firstChild) valSel.removeChild(valSel.firstChild);
      valSel.disabled = !state.dim;
      if (!state.dim) { valSel.appendChild(new Option('all contacts', '0')); return; }
      F.dims[state.dim].forEach(function (v, i) {
        var label = v.value + (v.contacts !== null && v.contacts !== undefined ? ' (' + nf.format(v.contacts) + ')' : '');
        valSel.appendChild(new Option(label, String(i)));
      });
    };
    fillValues();
    dimSel.addEventListener('change', function () {
      state.dim = dimSel.value; state.idx = 0; fillValues(); resetKeep(); draw();
    });
    valSel.addEventListener('change', function () { state.idx = +valSel.value; resetKeep(); draw(); });
    slider.addEventListener('input', function () { state.keep = +slider.value; draw(); });
    document.querySelectorAll('input[name="flow-mode"]').forEach(function (r) {
      r.addEventListener('change', function () { if (r.checked) { state.mode = r.value; draw(); } });
    });
    var zoomTo = function (z) {
      state.zoom = z;
      chart.setOption({ series: [{ zoom: z, center: null }] });
    };
    byId('flow-zoom-in').addEventListener('click', function () { zoomTo(state.zoom * 1.25); });
    byId('flow-zoom-out').addEventListener('click', function () { zoomTo(state.zoom / 1.25); });
    byId('flow-zoom-reset').addEventListener('click', function () { state.zoom = 1; draw(); });
    resetKeep();
    draw();
  }

  /* ---------------------------------------------------------------- journey sankey */
  function sankey() {
    var S = V.sankey, el = byId('sankey');
    if (!S || !el) return;
    var outcomeColor = { resolved: '#2e7d32', repeat: '#ef6c00', abandoned: '#b3261e' };
    make(el).setOption({
      animation: false,
      tooltip: {
        confine: true,
        formatter: function (p) {
          if (p.dataType === 'edge') {
            return tip([S.nodes[+p.data.source].label + ' → ' + S.nodes[+p.data.target].label,
              nf.format(p.data.value) + ' journeys']);
          }
          return tip([S.nodes[+p.name].label, nf.format(p.value) + ' journeys']);
        }
      },
      series: [{
        type: 'sankey', left: 10, right: 110, top: 10, bottom: 10, nodeGap: 10, draggable: false,
        emphasis: { focus: 'adjacency' },
        lineStyle: { color: 'gradient', opacity: 0.35 },
        label: { fontSize: 11, formatter: function (p) { return S.nodes[+p.name].label; } },
        data: S.nodes.map(function (n, i) {
          return { name: String(i), itemStyle: { color: n.outcome ? (outcomeColor[n.label] || '#546e7a') : '#0b6bcb' } };
        }),
        links: S.links.map(function (l) { return { source: String(l[0]), target: String(l[1]), value: l[2] }; })
      }]
    });
  }

  /* ---------------------------------------------------------------- pareto */
  function pareto() {
    var P = V.pareto, el = byId('pareto');
    if (!P || !el) return;
    make(el).setOption({
      animation: false,
      grid: { left: 70, right: 60, top: 30, bottom: 90 },
      tooltip: {
        trigger: 'axis', confine: true,
        formatter: function (ps) {
          var i = ps[0].dataIndex;
          return tip([P.labels[i], nf.format(P.cost[i]) + ' ' + V.currency + ' avoidable',
            pct(P.cum_share[i]) + ' of all avoidable cost up to here']);
        }
      },
      xAxis: {
        type: 'category', data: P.labels.map(function (_, i) { return String(i); }),
        axisLabel: { interval: 0, width: 120, overflow: 'truncate', rotate: 20, fontSize: 11,
          formatter: function (v) { return P.labels[+v]; } }
      },
      yAxis: [
        { type: 'value', name: V.currency, axisLabel: { formatter: function (v) { return nf.format(v); } } },
        { type: 'value', min: 0, max: 1, axisLabel: { formatter: function (v) { return Math.round(v * 100) + '%'; } } }
      ],
      series: [
        { type: 'bar', data: P.cost, itemStyle: { color: '#b3261e' }, barMaxWidth: 60 },
        { type: 'line', yAxisIndex: 1, data: P.cum_share, symbolSize: 7, itemStyle: { color: '#1d2733' },
          label: { show: true, position: 'top', fontSize: 10, formatter: function (p) { return pct(p.value); } } }
      ]
    });
  }

  [flowMap, sankey, pareto].forEach(function (f) { f(); });
  var resize = function () { charts.forEach(function (c) { c.resize(); }); };
  window.addEventListener('resize', resize);
  window.addEventListener('beforeprint', resize);
  window.addEventListener('afterprint', resize);
  document.documentElement.setAttribute('data-charts-ready', String(charts.length));
})();
