// The pages' charts, drawn with uPlot (vendored, see docs/vendored.md): one small module the
// dashboard (dashboard_chart.js) and the daily report (report_chart.js) both use. A chart's
// series are named by the page's own table headers (data-series / data-chart on each th), so
// the words stay in the page's language and the table under the drawing holds every number
// for a screen reader or a browser without script; the drawing itself is aria-hidden.
(function () {
  "use strict";
  var COLORS = {
    read: "#1b6b3a", delivered: "#2f9e44", sent: "#1f6feb", failed: "#c92a2a",
    skipped: "#868e96", waiting: "#e8590c", queued: "#e8590c", sending: "#7048e8",
    canceled: "#495057", deliveries: "#1f6feb", delivery_failures: "#c92a2a",
    ok: "#2f9e44", not_done: "#c92a2a"
  };
  var HEIGHT = 220;

  // The series of one chart, read from the table: [{key, name}] in the table's order.
  function series(table, chart) {
    var heads = table.querySelectorAll('th[data-chart="' + chart + '"]');
    return Array.prototype.map.call(heads, function (h) {
      return { key: h.getAttribute("data-series"), name: h.textContent.trim() };
    });
  }

  function heading(box, list) {
    var title = document.createElement("p");
    title.className = "chart-title";
    title.textContent = box.getAttribute("data-title");
    box.appendChild(title);
    var legend = document.createElement("p");
    legend.className = "chart-legend";
    list.forEach(function (s) {
      var item = document.createElement("span");
      var swatch = document.createElement("i");
      swatch.style.background = COLORS[s.key] || "#343a40";
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.name));
      legend.appendChild(item);
    });
    box.appendChild(legend);
  }

  // uPlot in ``box`` over x = 0..labels.length-1; ``values[i]`` is series i's y per x.
  // ``bars``: each series a bar (its one value at its own x, so each bar keeps its colour and
  // the legend names it); else each series a line with its points.
  function plot(box, list, labels, values, bars) {
    heading(box, list);
    var xs = labels.map(function (_, i) { return i; });
    var step = function () {
      var room = box.clientWidth / Math.max(1, labels.length);
      return room >= 70 ? 1 : Math.ceil(70 / room);
    };
    var options = {
      width: box.clientWidth,
      height: HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      scales: bars
        ? { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: function (u, lo, hi) { return [0, Math.max(1, hi)]; } } }
        : { x: { time: false } },
      axes: [
        {
          splits: function () { return xs.filter(function (i) { return i % step() === 0; }); },
          values: function (u, splits) { return splits.map(function (i) { return labels[i]; }); }
        },
        { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] }
      ],
      series: [{}].concat(list.map(function (s) {
        var color = COLORS[s.key] || "#343a40";
        return bars
          ? { label: s.name, stroke: color, fill: color, width: 1, points: { show: false },
              paths: window.uPlot.paths.bars({ size: [0.7, 80] }) }
          : { label: s.name, stroke: color, width: 2, points: { show: true } };
      }))
    };
    var drawn = new window.uPlot(options, [xs].concat(values), box);
    window.addEventListener("resize", function () {
      drawn.setSize({ width: box.clientWidth, height: HEIGHT });
    });
    return drawn;
  }

  // A bar per table row of ``chart``: the island's ``numbers[key]`` for each th's data-series.
  function bars(box, table, chart, numbers) {
    var list = series(table, chart);
    if (!box || list.length === 0) return null;
    var labels = list.map(function (s) { return s.name; });
    var values = list.map(function (s, i) {
      return list.map(function (_, j) { return j === i ? numbers[s.key] || 0 : null; });
    });
    return plot(box, list, labels, values, true);
  }

  window.recadoChart = { series: series, plot: plot, bars: bars };
})();
