// The dashboard's 14-day chart, drawn with uPlot (vendored, see docs/vendored.md) from the
// page's JSON island. The table under it holds the same numbers, so without script (or for
// a screen reader) nothing is lost; the drawing is aria-hidden. Series names come from the
// table's own column headers: the words stay in the page's language.
(function () {
  "use strict";
  var island = document.getElementById("chart-data");
  var table = document.getElementById("chart-table");
  if (!island || !table || typeof window.uPlot !== "function") return;
  var days = JSON.parse(island.textContent);
  var colors = {
    read: "#1b6b3a", delivered: "#2f9e44", sent: "#1f6feb", failed: "#c92a2a",
    skipped: "#868e96", waiting: "#e8590c", deliveries: "#1f6feb", delivery_failures: "#c92a2a"
  };
  var labels = days.map(function (d) { return d.date.slice(8, 10) + "/" + d.date.slice(5, 7); });
  var xs = days.map(function (_, i) { return i; });

  function valueOf(day, key) {
    return key in day.messages ? day.messages[key] : day[key];
  }

  function draw(box, chart) {
    var heads = table.querySelectorAll('th[data-chart="' + chart + '"]');
    var keys = [], names = [];
    Array.prototype.forEach.call(heads, function (h) {
      keys.push(h.getAttribute("data-series"));
      names.push(h.textContent.trim());
    });
    var title = document.createElement("p");
    title.className = "chart-title";
    title.textContent = box.getAttribute("data-title");
    box.appendChild(title);
    var legend = document.createElement("p");
    legend.className = "chart-legend";
    keys.forEach(function (key, i) {
      var item = document.createElement("span");
      var swatch = document.createElement("i");
      swatch.style.background = colors[key];
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(names[i]));
      legend.appendChild(item);
    });
    box.appendChild(legend);
    var data = [xs].concat(keys.map(function (key) {
      return days.map(function (d) { return valueOf(d, key) || 0; });
    }));
    var step = function () { return box.clientWidth < 500 ? 3 : 1; };
    var options = {
      width: box.clientWidth,
      height: 220,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false } },
      axes: [
        {
          splits: function () { return xs.filter(function (i) { return i % step() === 0; }); },
          values: function (u, splits) { return splits.map(function (i) { return labels[i]; }); }
        },
        { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] }
      ],
      series: [{}].concat(keys.map(function (key, i) {
        return { label: names[i], stroke: colors[key], width: 2, points: { show: true } };
      }))
    };
    var plot = new window.uPlot(options, data, box);
    window.addEventListener("resize", function () {
      plot.setSize({ width: box.clientWidth, height: 220 });
    });
  }

  draw(document.getElementById("chart-messages"), "messages");
  draw(document.getElementById("chart-deliveries"), "deliveries");
})();
