// The dashboard's 14-day chart (lines over the days), from the page's JSON island, drawn by
// the shared chart.js.
(function () {
  "use strict";
  var island = document.getElementById("chart-data");
  var table = document.getElementById("chart-table");
  if (!island || !table || typeof window.uPlot !== "function" || !window.recadoChart) return;
  var days = JSON.parse(island.textContent);
  var labels = days.map(function (d) { return d.date.slice(8, 10) + "/" + d.date.slice(5, 7); });

  function valueOf(day, key) {
    return key in day.messages ? day.messages[key] : day[key];
  }

  function draw(box, chart) {
    var list = window.recadoChart.series(table, chart);
    var values = list.map(function (s) {
      return days.map(function (d) { return valueOf(d, s.key) || 0; });
    });
    window.recadoChart.plot(box, list, labels, values, false);
  }

  draw(document.getElementById("chart-messages"), "messages");
  draw(document.getElementById("chart-deliveries"), "deliveries");
})();
