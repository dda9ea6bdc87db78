// The public map of feedback (/phan-anh/): public reports of the current view, from the GeoJSON
// endpoint, reloaded (debounced) when the map moves or the list's filters change. Without base
// tiles (CQS_MAP_TILES_URL empty) the map shows the province outline on a plain background.
(function () {
  "use strict";

  var el = document.getElementById("feedback-map");
  if (!el || !window.L) {
    return;
  }
  var MAX_FEATURES_NOTE = document.getElementById("feedback-map-note");
  var b = el.dataset.bounds.split(",").map(Number); // min_lon,min_lat,max_lon,max_lat
  var province = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
  var map = L.map(el, { maxBounds: province.pad(1), minZoom: 7 });
  map.fitBounds(province);
  if (el.dataset.tilesUrl) {
    L.tileLayer(el.dataset.tilesUrl, { maxZoom: 19, attribution: el.dataset.tilesAttribution || "" }).addTo(map);
  }
  L.rectangle(province, { color: "#0b3d91", weight: 2, fill: false, interactive: false }).addTo(map);

  var layer = L.layerGroup().addTo(map);
  var filters = document.getElementById(el.dataset.filterForm);
  var timer = null;
  var controller = null;

  function clamp(value, low, high) {
    return Math.min(high, Math.max(low, value));
  }

  function bbox() {
    var view = map.getBounds();
    return [
      clamp(view.getWest(), -180, 180),
      clamp(view.getSouth(), -90, 90),
      clamp(view.getEast(), -180, 180),
      clamp(view.getNorth(), -90, 90),
    ].map(function (n) { return n.toFixed(6); }).join(",");
  }

  function popup(props) {
    var box = document.createElement("div");
    var title = document.createElement("div");
    title.className = "feedback-popup-title";
    title.textContent = props.title;
    var meta = document.createElement("div");
    meta.className = "small";
    meta.textContent = props.code + " · " + props.category + " · " + props.status_label;
    var link = document.createElement("a");
    link.href = props.url;
    link.textContent = el.dataset.labelDetail;
    box.appendChild(title);
    box.appendChild(meta);
    box.appendChild(link);
    return box;
  }

  var markers = {}; // code → marker: a reload keeps the markers still in view (and an open popup)

  function show(data) {
    var seen = {};
    data.features.forEach(function (feature) {
      var code = feature.properties.code;
      var c = feature.geometry.coordinates;
      var style = { fillColor: feature.properties.open ? "#fd7e14" : "#198754" };
      seen[code] = true;
      if (markers[code]) {
        markers[code].setStyle(style);
        if (!markers[code].isPopupOpen()) {
          markers[code].setPopupContent(popup(feature.properties));
        }
        return;
      }
      var marker = L.circleMarker([c[1], c[0]], {
        radius: 8,
        weight: 2,
        color: "#ffffff",
        fillColor: style.fillColor,
        fillOpacity: 0.9,
      });
      marker.bindPopup(popup(feature.properties));
      markers[code] = marker;
      layer.addLayer(marker);
    });
    Object.keys(markers).forEach(function (code) {
      if (!seen[code]) {
        layer.removeLayer(markers[code]);
        delete markers[code];
      }
    });
    if (MAX_FEATURES_NOTE) {
      MAX_FEATURES_NOTE.hidden = !data.truncated;
    }
  }

  function load() {
    var params = new URLSearchParams();
    params.set("bbox", bbox());
    if (filters) {
      ["category", "status"].forEach(function (name) {
        var control = filters.elements[name];
        if (control && control.value) {
          params.set(name, control.value);
        }
      });
    }
    if (controller) {
      controller.abort();
    }
    controller = new AbortController();
    fetch(el.dataset.geojsonUrl + "?" + params.toString(), {
      headers: { Accept: "application/geo+json, application/json" },
      signal: controller.signal,
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(show)
      .catch(function (error) {
        if (error.name !== "AbortError") {
          el.setAttribute("title", el.dataset.labelError);
        }
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(load, 300);
  }

  map.on("moveend", later);
  if (filters) {
    filters.addEventListener("change", later);
  }
  load();
})();
