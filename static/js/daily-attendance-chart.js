// Q-Info: the school's attendance rate per grade as a bar chart (Chart.js, vendored). The table
// under it carries the same figures, so the page says everything without this file.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("attendance-chart-data");
    var canvas = document.getElementById("attendance-chart");
    if (!source || !canvas || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    if (!data.labels.length) { canvas.parentNode.hidden = true; return; }
    new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: [{ label: "อัตราการมาเรียน (%)", data: data.rates, backgroundColor: "#2f6fb3" }] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } },
        plugins: { legend: { display: false } },
      },
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
