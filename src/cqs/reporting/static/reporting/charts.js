// Charts of the reporting dashboards. Each <canvas data-chart-source="ID"> is drawn from the
// <script type="application/json" id="ID"> block of the page (json_script), since the CSP
// allows no inline script. The block holds {type: "line"|"bar", title, labels, datasets:
// [{key, label, data}], max?, unitLabel?}; empty values (null) leave gaps.
(function () {
  "use strict";

  if (typeof window.Chart === "undefined") {
    return;
  }
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#d63384", "#20c997", "#6c757d"];
  var fixed = { REPORTING_RATE: "#0d6efd", REPORTING_RATE_ON_TIME: "#198754", total: "#212529" };
  var language = document.documentElement.lang || "vi";

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart-source"));
    if (!source) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var horizontal = data.type === "bar" && data.labels.length > 8;
    if (horizontal) {
      // One bar per unit: grow the box rather than squeeze many communes into it.
      canvas.parentNode.style.height = Math.min(data.labels.length * 1.75 + 6, 200) + "rem";
    }
    var datasets = data.datasets.map(function (set, index) {
      var colour = fixed[set.key] || palette[index % palette.length];
      return {
        label: set.label,
        data: set.data,
        backgroundColor: colour,
        borderColor: colour,
        spanGaps: false,
        tension: 0.2
      };
    });
    var valueAxis = { beginAtZero: true, title: { display: !!data.unitLabel, text: data.unitLabel || "" } };
    if (data.max) {
      valueAxis.max = data.max;
    }
    new window.Chart(canvas, {
      type: data.type,
      data: { labels: data.labels, datasets: datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: !horizontal,
        locale: language,
        plugins: {
          title: { display: true, text: data.title },
          legend: { position: "bottom", display: datasets.length > 1 }
        },
        scales: horizontal ? { x: valueAxis } : { y: valueAxis }
      }
    });
  }

  var canvases = document.querySelectorAll("canvas[data-chart-source]");
  for (var i = 0; i < canvases.length; i += 1) {
    draw(canvases[i]);
  }
})();
