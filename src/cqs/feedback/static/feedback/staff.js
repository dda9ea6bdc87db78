// Staff pages of citizen feedback: the answer-template picker, more parts when splitting a
// report, and the small map of the report's place. No inline script (CSP): this file only.
(function () {
  "use strict";

  // Choosing an answer template fills the answer with its text, which the official then edits.
  document.querySelectorAll("select[data-fill-target]").forEach(function (select) {
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var target = document.getElementById(select.dataset.fillTarget);
      if (!target || !option || !option.dataset.body) {
        return;
      }
      if (target.value.trim() && !window.confirm(select.dataset.confirm || "Thay nội dung đang nhập bằng mẫu này?")) {
        return;
      }
      target.value = option.dataset.body;
      target.focus();
    });
  });

  // Splitting: "Thêm phần" adds one more part (Django's formset: __prefix__ and TOTAL_FORMS).
  var addPart = document.getElementById("split-add");
  var parts = document.getElementById("split-parts");
  var empty = document.getElementById("split-empty-part");
  if (addPart && parts && empty) {
    var total = document.getElementById(parts.dataset.total);
    var max = parseInt(parts.dataset.max, 10) || 10;
    addPart.addEventListener("click", function () {
      var count = parseInt(total.value, 10) || 0;
      if (count >= max) {
        addPart.disabled = true;
        return;
      }
      var html = empty.innerHTML.replace(/__prefix__/g, String(count));
      parts.insertAdjacentHTML("beforeend", html);
      total.value = String(count + 1);
      if (count + 1 >= max) {
        addPart.disabled = true;
      }
    });
  }

  // The report's place on a small map (only rendered when Leaflet and a tile server are set up).
  var mapElement = document.getElementById("staff-map");
  if (mapElement && window.L) {
    var lat = parseFloat(mapElement.dataset.lat);
    var lon = parseFloat(mapElement.dataset.lon);
    if (isFinite(lat) && isFinite(lon)) {
      var map = window.L.map(mapElement).setView([lat, lon], 17);
      if (mapElement.dataset.tiles) {
        window.L.tileLayer(mapElement.dataset.tiles, {
          maxZoom: 19,
          attribution: mapElement.dataset.attribution || "",
        }).addTo(map);
      }
      window.L.marker([lat, lon]).addTo(map);
    }
  }
})();
