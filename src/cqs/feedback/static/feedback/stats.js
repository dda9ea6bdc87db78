// Chart of the feedback statistics page: reports received and answered per month. The numbers
// come from the page's <script type="application/json" id="stats-chart-data"> block
// (json_script), since the CSP allows no inline script.
(function () {
  "use strict";

  var source = document.getElementById("stats-chart-data");
  var canvas = document.getElementById("stats-chart");
  if (!source || !canvas || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var colours = { received: "#3d8bfd", answered: "#146c43" };

  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.datasets.map(function (set) {
        return { label: set.label, data: set.data, backgroundColor: colours[set.key] || "#6c757d" };
      })
    },
    options: {
      maintainAspectRatio: false,
      locale: document.documentElement.lang || "vi",
      plugins: {
        title: { display: true, text: data.title },
        legend: { position: "bottom" }
      },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
    }
  });
})();
