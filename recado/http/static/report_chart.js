// The daily report's bars (messages by state; deliveries done and not), from the page's
// JSON island, drawn by the shared chart.js; the tables beside them hold the same numbers.
(function () {
  "use strict";
  var island = document.getElementById("report-chart-data");
  if (!island || typeof window.uPlot !== "function" || !window.recadoChart) return;
  var day = JSON.parse(island.textContent);
  window.recadoChart.bars(
    document.getElementById("chart-messages"), document.getElementById("report-chart-table"),
    "messages", day.messages
  );
  window.recadoChart.bars(
    document.getElementById("chart-deliveries"), document.getElementById("report-chart-table"),
    "deliveries", day.deliveries
  );
})();
