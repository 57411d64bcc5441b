// Draws the results charts from the JSON blocks on the page. The same figures are in HTML tables beside each chart,
// so the page is complete without this script.
(function () {
  'use strict';
  if (!window.Chart) return;

  // Okabe–Ito colours, distinguishable with the common colour-vision deficiencies.
  var palette = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#8C6D1F', '#6A3D9A'];
  var cityColor = '#1b1f23';
  // Each neighborhood keeps its colour on every chart and page: its place among all neighborhoods (by id, from the
  // page's data-area-order), not its place in this chart. Past eight, colours repeat with a dash pattern.
  var areaOrder = (document.body.getAttribute('data-area-order') || '').split(' ').filter(Boolean);
  var dashes = [[], [8, 4], [2, 3], [10, 3, 2, 3]];
  function areaStyle(area, fallback) {
    var i = areaOrder.indexOf(area);
    if (i < 0) i = areaOrder.length + fallback;
    return { color: palette[i % palette.length], dash: dashes[Math.floor(i / palette.length) % dashes.length] };
  }

  function fixed(v) {
    return v === null || v === undefined ? '' : v.toFixed(1);
  }

  // Pages in other languages pass their own words in the data block's "text".
  var englishText = { notEnough: 'not enough responses', ci: '95% CI', lowReliability: 'low reliability', axis: 'Score (0–100)' };

  // The figure and its interval, then its n: one line each on a phone, joined on a wide chart.
  function cellLines(cell, text) {
    if (!cell || cell.suppressed) return [text.notEnough];
    return [
      fixed(cell.mean) + ' (' + text.ci + ' ' + fixed(cell.ci_low) + '–' + fixed(cell.ci_high) + ')',
      'n = ' + cell.n + (cell.low_reliability ? ', ' + text.lowReliability : ''),
    ];
  }

  function cellText(cell, text) {
    return cellLines(cell, text).join(', ');
  }

  function meanOf(cell) {
    return cell.suppressed ? null : cell.mean;
  }

  function withAlpha(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + ((n >> 16) & 255) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  }

  /** Two invisible-edged datasets whose fill between them is the 95% band. */
  function bandDatasets(name, cells, color) {
    return [
      { label: name + ' 95% CI low', data: cells.map(function (c) { return c.suppressed ? null : c.ci_low; }), borderWidth: 0, pointRadius: 0, fill: false, band: true },
      { label: name + ' 95% CI', data: cells.map(function (c) { return c.suppressed ? null : c.ci_high; }), borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: withAlpha(color, 0.2), band: true },
    ];
  }

  function seriesDataset(series, color, isCity, dash) {
    return {
      area: series.area,
      label: series.name,
      data: series.cells.map(meanOf),
      cells: series.cells,
      borderColor: color,
      backgroundColor: color,
      borderWidth: isCity ? 3 : 2,
      borderDash: isCity ? [6, 4] : dash || [],
      pointRadius: 2,
      spanGaps: false,
    };
  }

  // Tooltips stay on screen: beside the nearest point, moved up or down so a tall one never leaves the chart.
  var positioners = window.Chart.Tooltip && window.Chart.Tooltip.positioners;
  if (positioners && positioners.nearest) {
    positioners.onScreen = function (items, eventPosition) {
      var pos = positioners.nearest.call(this, items, eventPosition);
      if (!pos) return false;
      var area = this.chart.chartArea;
      var half = (this.height || 0) / 2;
      return { x: pos.x, y: Math.max(area.top + half, Math.min(area.bottom - half, pos.y)) };
    };
  }

  // On a narrow chart a tooltip names only the nearest line; on a wide one every line at that period.
  function narrow(canvas) {
    return canvas.parentElement.clientWidth < 480;
  }

  function lineOptions(annotations, text, small) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: small ? { mode: 'nearest', intersect: false } : { mode: 'index', intersect: false },
      scales: { y: { title: { display: true, text: text.axis } } },
      plugins: {
        legend: { labels: { filter: function (item, data) { return !data.datasets[item.datasetIndex].band; } } },
        tooltip: {
          position: positioners && positioners.onScreen ? 'onScreen' : 'nearest',
          filter: function (item) { return !item.dataset.band; },
          callbacks: {
            label: function (ctx) {
              var cell = ctx.dataset.cells && ctx.dataset.cells[ctx.dataIndex];
              // Short lines rather than one wider than a phone.
              return small ? [ctx.dataset.label + ':'].concat(cellLines(cell, text)) : ctx.dataset.label + ': ' + cellText(cell, text);
            },
          },
        },
        annotation: { annotations: annotations },
      },
    };
  }

  function eventLine(id, bucket, text) {
    return {
      type: 'line',
      id: id,
      xMin: bucket,
      xMax: bucket,
      borderColor: '#b3261e',
      borderWidth: 2,
      borderDash: [4, 3],
      label: { display: true, content: text, position: 'start', font: { size: 11 }, backgroundColor: 'rgba(179,38,30,0.85)' },
    };
  }

  function trendChart(canvas, data) {
    var trends = data.trends;
    var datasets = [];
    var unknown = 0;
    trends.series.forEach(function (series) {
      var isCity = series.area === 'city';
      var style = isCity ? { color: cityColor, dash: [6, 4] } : areaStyle(series.area, unknown++);
      if (data.band && !isCity) datasets = datasets.concat(bandDatasets(series.name, series.cells, style.color));
      datasets.push(seriesDataset(series, style.color, isCity, style.dash));
    });
    var annotations = {};
    // Numbered markers stay legible on a phone; the numbered list under the chart names each event.
    data.events.forEach(function (e, i) {
      annotations['event-' + e.id] = eventLine('event-' + e.id, e.bucket, String(i + 1));
    });
    return new window.Chart(canvas, {
      type: 'line',
      data: { labels: trends.buckets.map(function (b) { return b.label; }), datasets: datasets },
      options: lineOptions(annotations, data.text || englishText, narrow(canvas)),
    });
  }

  function impactChart(canvas, data) {
    var impact = data.impact;
    var monthly = impact.monthly;
    var series = monthly.series[0];
    var labels = monthly.buckets.map(function (b) { return b.label; });
    var datasets = bandDatasets(series.name, series.cells, palette[0]).concat([seriesDataset(series, palette[0], false)]);
    var annotations = { event: eventLine('event', impact.event.monthLabel, 'Event month') };
    var months = impact.months;
    [['before', 0, months - 1], ['after', months + 1, Math.min(labels.length - 1, 2 * months)]].forEach(function (w) {
      var cell = impact.area[w[0]];
      if (cell.suppressed || w[2] < w[1]) return;
      annotations[w[0]] = {
        type: 'box',
        xMin: labels[w[1]],
        xMax: labels[w[2]],
        yMin: cell.ci_low,
        yMax: cell.ci_high,
        backgroundColor: 'rgba(27,31,35,0.12)',
        borderColor: cityColor,
        borderWidth: 1,
        label: { display: true, content: w[0] + ': ' + fixed(cell.mean), font: { size: 11 } },
      };
    });
    return new window.Chart(canvas, {
      type: 'line',
      data: { labels: labels, datasets: datasets },
      options: lineOptions(annotations, data.text || englishText, narrow(canvas)),
    });
  }

  // Diverging colours from disagreement (warm) to agreement (cool).
  function divergingColors(count) {
    var low = [179, 38, 30];
    var mid = [230, 230, 230];
    var high = [11, 92, 173];
    var colors = [];
    for (var i = 0; i < count; i++) {
      var t = count === 1 ? 1 : i / (count - 1);
      var from = t < 0.5 ? low : mid;
      var to = t < 0.5 ? mid : high;
      var u = t < 0.5 ? t * 2 : (t - 0.5) * 2;
      colors.push('rgb(' + from.map(function (c, k) { return Math.round(c + (to[k] - c) * u); }).join(',') + ')');
    }
    return colors;
  }

  function distributionChart(canvas, questions) {
    var shown = questions.filter(function (q) { return !q.suppressed; });
    if (shown.length === 0) return null;
    var points = shown[0].points;
    var colors = divergingColors(points.length);
    var datasets = points.map(function (p, i) {
      return {
        label: p.label,
        data: shown.map(function (q) { return q.points[i].percent; }),
        backgroundColor: colors[i],
      };
    });
    return new window.Chart(canvas, {
      type: 'bar',
      data: { labels: shown.map(function (q) { return q.code; }), datasets: datasets },
      options: {
        indexAxis: 'y',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { stacked: true, max: 100, title: { display: true, text: '% of answers' } }, y: { stacked: true } },
        plugins: {
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ': ' + fixed(ctx.raw) + '%'; } } },
        },
      },
    });
  }

  // A demographic question's shares: the census, the responses and the responses after weighting, side by side.
  function sharesChart(canvas, data) {
    var series = [['Census', 'census', palette[0]], ['Responses', 'sample', palette[1]], ['After weighting', 'weighted', palette[2]]];
    return new window.Chart(canvas, {
      type: 'bar',
      data: {
        labels: data.rows.map(function (r) { return r.label; }),
        datasets: series.map(function (s) {
          return { label: s[0], data: data.rows.map(function (r) { return r[s[1]]; }), backgroundColor: s[2] };
        }),
      },
      options: {
        indexAxis: 'y',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { min: 0, title: { display: true, text: '% of adults or of responses' } } },
        plugins: {
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ': ' + (ctx.raw === null ? 'not shown' : fixed(ctx.raw) + '%'); } } },
        },
      },
    });
  }

  var downloadWords = {
    en: { png: 'Download the chart (PNG)', csv: 'Download the table (CSV)' },
    es: { png: 'Descargar el gráfico (PNG)', csv: 'Descargar la tabla (CSV)' },
  };

  function saveAs(href, name) {
    var link = document.createElement('a');
    link.href = href;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  // The chart on a white background (a canvas is transparent), as a PNG file.
  function chartPng(canvas) {
    var copy = document.createElement('canvas');
    copy.width = canvas.width;
    copy.height = canvas.height;
    var context = copy.getContext('2d');
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, copy.width, copy.height);
    context.drawImage(canvas, 0, 0);
    return copy.toDataURL('image/png');
  }

  // The table beside the chart as RFC 4180 CSV; a cell a spreadsheet would run as a formula gets a leading '.
  function tableCsv(table) {
    var rows = Array.prototype.map.call(table.querySelectorAll('tr'), function (tr) {
      return Array.prototype.map
        .call(tr.querySelectorAll('th, td'), function (cell) {
          var text = cell.textContent.replace(/\s+/g, ' ').trim();
          if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
          return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
        })
        .join(',');
    });
    return '\ufeff' + rows.join('\r\n') + '\r\n';
  }

  function downloadButtons(canvas, figure) {
    var words = downloadWords[document.documentElement.lang] || downloadWords.en;
    var section = figure.closest('section') || figure.parentElement;
    var table = section && section.querySelector('table');
    var bar = document.createElement('div');
    bar.className = 'chart-downloads';
    var png = document.createElement('button');
    png.type = 'button';
    png.className = 'link-button';
    png.textContent = words.png;
    png.addEventListener('click', function () { saveAs(chartPng(canvas), canvas.id + '.png'); });
    bar.appendChild(png);
    if (table) {
      var csv = document.createElement('button');
      csv.type = 'button';
      csv.className = 'link-button';
      csv.textContent = words.csv;
      csv.addEventListener('click', function () {
        var url = URL.createObjectURL(new Blob([tableCsv(table)], { type: 'text/csv;charset=utf-8' }));
        saveAs(url, canvas.id + '.csv');
        setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      });
      bar.appendChild(csv);
    }
    figure.insertBefore(bar, canvas.parentElement.nextSibling);
  }

  var draw = { trend: trendChart, impact: impactChart, distribution: distributionChart, shares: sharesChart };
  document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (block) {
    var canvas = document.getElementById(block.getAttribute('data-canvas'));
    var render = draw[block.getAttribute('data-chart')];
    if (!canvas || !render) return;
    var box = canvas.parentElement;
    box.hidden = false;
    if (!render(canvas, JSON.parse(block.textContent))) {
      box.hidden = true;
      return;
    }
    var figure = canvas.closest('figure');
    if (figure) downloadButtons(canvas, figure);
  });
})();
