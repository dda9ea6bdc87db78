// Charts of the LGSP usage page. Each <canvas data-chart-source="ID"> is drawn from the
// <script type="application/json" id="ID"> block of the page (json_script), since the CSP allows
// no inline script. The block holds {type, title, labels, datasets: [{key, label, data}], unitLabel}.
(function () {
  "use strict";

  if (typeof window.Chart === "undefined") {
    return;
  }
  var colours = { calls: "#0d6efd", errors: "#dc3545" };
  var language = document.documentElement.lang || "vi";

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart-source"));
    if (!source) {
      return;
    }
    var data = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      type: data.type,
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (set) {
          var colour = colours[set.key] || "#6c757d";
          return { label: set.label, data: set.data, borderColor: colour, backgroundColor: colour, tension: 0.2 };
        })
      },
      options: {
        locale: language,
        plugins: { title: { display: true, text: data.title }, legend: { position: "bottom" } },
        scales: { y: { beginAtZero: true, title: { display: !!data.unitLabel, text: data.unitLabel || "" } } }
      }
    });
  }

  var canvases = document.querySelectorAll("canvas[data-chart-source]");
  for (var i = 0; i < canvases.length; i += 1) {
    draw(canvases[i]);
  }
})();
