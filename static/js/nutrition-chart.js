// Q-Info: children per weight-for-height category per grade, as stacked bars (Chart.js,
// vendored). The table under it carries the same figures, so the page says everything without it.
(function () {
  "use strict";
  var COLOURS = ["#c0392b", "#e67e22", "#2e8b57", "#f1c40f", "#d35400", "#8e1b10"];
  function draw() {
    var source = document.getElementById("nutrition-chart-data");
    var canvas = document.getElementById("nutrition-chart");
    if (!source || !canvas || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    if (!data || !data.labels.length) { canvas.parentNode.hidden = true; return; }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) { return { label: s.label, data: s.data, backgroundColor: COLOURS[i % COLOURS.length] }; }),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
