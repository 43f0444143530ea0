// Q-Info: children per category of each nutrition indicator per grade, as stacked bars
// (Chart.js, vendored): one chart per <canvas data-nutrition-chart="ID"> whose figures are in
// the JSON script #ID. The table under each carries the same figures, so the page says
// everything without it.
(function () {
  "use strict";
  var COLOURS = ["#c0392b", "#e67e22", "#2e8b57", "#f1c40f", "#d35400", "#8e1b10", "#95a5a6"];
  function drawOne(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-nutrition-chart"));
    if (!source) return;
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
  function draw() {
    if (typeof Chart === "undefined") return;
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-nutrition-chart]"), drawOne);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
