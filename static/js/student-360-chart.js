// Q-Info: the GPAX trend of Student 360 (Chart.js, vendored) — each term's GPA and the GPAX as it
// stood at the end of that term, as lines. The table under it carries the same figures (the
// server's text), so the page says everything without this file.
(function () {
  "use strict";
  function figures(values) {
    return values.map(function (v) { return v === null ? null : Number(v); });
  }
  function draw() {
    var source = document.getElementById("gpax-chart-data");
    var canvas = document.getElementById("gpax-chart");
    if (!source || !canvas || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    if (!data || !data.labels.length) { canvas.parentNode.hidden = true; return; }
    // The canvas draws its own text: in the page's font (Sarabun), or Thai labels fall back.
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    var chart = new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: "GPAX สะสม", data: figures(data.gpax), borderColor: "#1d4e89", backgroundColor: "#1d4e89", pointRadius: 4, tension: 0.2, spanGaps: true },
          { label: "GPA ภาคเรียน", data: figures(data.gpa), borderColor: "#e67e22", backgroundColor: "#e67e22", borderDash: [6, 4], pointRadius: 3, tension: 0.2, spanGaps: true },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { y: { min: 0, max: 4, ticks: { stepSize: 0.5 } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
    // Sarabun may still be loading (font-display: swap): draw the labels again once it is in.
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(function () { chart.update(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
