// Q-Info: the school's attendance charts (Chart.js, vendored): the rate per grade as bars and
// the rate of each school day of the term as a line. The tables beside them carry the same
// figures, so the page says everything without this file.
(function () {
  "use strict";
  function percentAxis() {
    return { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } };
  }
  function draw() {
    var source = document.getElementById("attendance-chart-data");
    if (!source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var grades = document.getElementById("attendance-chart");
    if (grades && data.labels.length) {
      new Chart(grades, {
        type: "bar",
        data: { labels: data.labels, datasets: [{ label: "อัตราการมาเรียน (%)", data: data.rates, backgroundColor: "#2f6fb3" }] },
        options: { animation: false, maintainAspectRatio: false, scales: { y: percentAxis() }, plugins: { legend: { display: false } } },
      });
    } else if (grades) {
      grades.parentNode.hidden = true;
    }
    var days = document.getElementById("attendance-days-chart");
    if (days && data.days && data.days.length) {
      var low = Math.min.apply(null, data.day_rates.filter(function (v) { return v !== null; }).concat([100]));
      new Chart(days, {
        type: "line",
        data: { labels: data.days, datasets: [{ label: "อัตราการมาเรียน (%)", data: data.day_rates, borderColor: "#1d4e89", pointRadius: 2, tension: 0.2 }] },
        options: {
          animation: false,
          maintainAspectRatio: false,
          scales: { y: { min: Math.max(0, Math.floor(low / 10) * 10 - 10), max: 100, ticks: { callback: function (v) { return v + "%"; } } } },
          plugins: { legend: { display: false } },
        },
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
