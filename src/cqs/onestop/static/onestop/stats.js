// Chart of the statistics page. The numbers come from the page's <script type="application/json"
// id="stats-chart-data"> block (json_script), since the CSP allows no inline script.
(function () {
  "use strict";

  var source = document.getElementById("stats-chart-data");
  var canvas = document.getElementById("stats-chart");
  if (!source || !canvas || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  // Green shades for processed (early, on time), red for late, blue and orange for in progress.
  var colours = {
    processed_early: "#146c43",
    processed_on_time: "#75b798",
    processed_late: "#b02a37",
    in_progress_within: "#3d8bfd",
    in_progress_overdue: "#fd7e14"
  };
  var language = document.documentElement.lang || "vi";
  var horizontal = data.labels.length > 6 || window.matchMedia("(max-width: 576px)").matches;
  if (horizontal && data.labels.length > 10) {
    // One bar per unit: grow the box rather than squeeze a hundred communes into it.
    canvas.parentNode.style.height = Math.min(data.labels.length * 1.75 + 6, 200) + "rem";
  }

  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.datasets.map(function (set) {
        return {
          label: set.label,
          data: set.data,
          stack: set.stack,
          backgroundColor: colours[set.key] || "#6c757d"
        };
      })
    },
    options: {
      indexAxis: horizontal ? "y" : "x",
      maintainAspectRatio: false,
      locale: language,
      plugins: {
        title: { display: true, text: data.title },
        legend: { position: "bottom" }
      },
      scales: {
        x: { stacked: true, ticks: { precision: 0 } },
        y: { stacked: true, ticks: { precision: 0 } }
      }
    }
  });
})();
