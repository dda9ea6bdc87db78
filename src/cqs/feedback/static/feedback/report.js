// The report form (/phan-anh/gui/): a pin on the map (tap, drag, or the device's position) fills
// the hidden lat/lon inputs; nearby open reports of the chosen category are suggested; the
// anonymous box hides and clears the contact fields. The form works without this script (the
// address or the commune is then enough), so everything here only enhances it.
(function () {
  "use strict";

  var form = document.getElementById("feedback-report-form");
  if (!form) {
    return;
  }
  var text = form.dataset;
  form.querySelectorAll("[data-js-only]").forEach(function (node) { node.hidden = false; });
  form.querySelectorAll("[data-nojs]").forEach(function (node) { node.hidden = true; });

  var lat = form.elements.lat;
  var lon = form.elements.lon;
  var pinStatus = document.getElementById("feedback-pin-status");
  var el = document.getElementById("feedback-pick");
  var map = null;
  var marker = null;
  var province = null;
  var icon = null;

  function say(message) {
    if (pinStatus) {
      pinStatus.textContent = message;
    }
  }

  function setPin(latlng) {
    if (!map) {
      return;
    }
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, icon: icon, title: text.labelPin, autoPan: true }).addTo(map);
      marker.on("dragend", function () { setPin(marker.getLatLng()); });
    } else {
      marker.setLatLng(latlng);
    }
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    if (province && !province.contains(latlng)) {
      say(text.labelOutside);
    } else {
      say(text.labelPin + ": " + lat.value + ", " + lon.value);
    }
    suggest();
  }

  function unpin() {
    if (marker) {
      map.removeLayer(marker);
      marker = null;
    }
    lat.value = "";
    lon.value = "";
    say(text.labelNoPin);
    suggest();
  }

  if (el && window.L) {
    var b = el.dataset.bounds.split(",").map(Number);
    province = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
    icon = L.icon({
      iconUrl: el.dataset.icon,
      iconRetinaUrl: el.dataset.icon2x,
      shadowUrl: el.dataset.iconShadow,
      iconSize: [25, 41],
      iconAnchor: [12, 41],
      popupAnchor: [1, -34],
      shadowSize: [41, 41],
    });
    map = L.map(el, { maxBounds: province.pad(1), minZoom: 7 });
    map.fitBounds(province);
    if (el.dataset.tilesUrl) {
      L.tileLayer(el.dataset.tilesUrl, { maxZoom: 19, attribution: el.dataset.tilesAttribution || "" }).addTo(map);
    }
    L.rectangle(province, { color: "#0b3d91", weight: 2, fill: false, interactive: false }).addTo(map);
    map.on("click", function (event) { setPin(event.latlng); });
    if (lat.value && lon.value) {
      var start = L.latLng(Number(lat.value), Number(lon.value));
      setPin(start);
      map.setView(start, 16);
    }
  }

  var locate = document.getElementById("feedback-locate");
  if (locate) {
    if (!("geolocation" in navigator) || !map) {
      locate.hidden = true;
    }
    locate.addEventListener("click", function () {
      say(text.labelLocating);
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var here = L.latLng(position.coords.latitude, position.coords.longitude);
          setPin(here);
          map.setView(here, 17);
        },
        function () { say(text.labelGeoError); },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }
  var unpinButton = document.getElementById("feedback-unpin");
  if (unpinButton) {
    unpinButton.addEventListener("click", unpin);
  }

  // Duplicate suggestions: open public reports of the same category near the pin.
  var nearby = document.getElementById("feedback-nearby");
  var category = form.elements.category;
  var asked = "";

  function suggest() {
    if (!nearby || !category) {
      return;
    }
    if (!category.value || !lat.value || !lon.value) {
      nearby.replaceChildren();
      asked = "";
      return;
    }
    var params = new URLSearchParams({ category: category.value, lat: lat.value, lon: lon.value });
    var key = params.toString();
    if (key === asked) {
      return;
    }
    asked = key;
    fetch(text.nearbyUrl + "?" + key, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) {
        if (key !== asked) {
          return; // an older answer
        }
        nearby.replaceChildren();
        if (!data.results.length) {
          return;
        }
        var box = document.createElement("div");
        box.className = "alert alert-warning";
        var question = document.createElement("p");
        question.className = "mb-1 fw-semibold";
        question.textContent = text.labelNearby;
        var list = document.createElement("ul");
        list.className = "mb-0";
        data.results.forEach(function (item) {
          var li = document.createElement("li");
          var link = document.createElement("a");
          link.href = item.url;
          link.textContent = item.title;
          li.appendChild(link);
          li.appendChild(document.createTextNode(" — " + item.status_label + ", ~" + item.distance_m + " m"));
          list.appendChild(li);
        });
        box.appendChild(question);
        box.appendChild(list);
        nearby.appendChild(box);
      })
      .catch(function () { nearby.replaceChildren(); });
  }
  if (category) {
    category.addEventListener("change", suggest);
  }

  // Anonymous: hide and clear the contact details (the server clears them too).
  var anonymous = form.elements.anonymous;
  var contact = document.getElementById("feedback-contact");
  if (anonymous && contact) {
    anonymous.addEventListener("change", function () {
      contact.hidden = anonymous.checked;
      if (anonymous.checked) {
        contact.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      }
    });
  }

  // At most N photos.
  var photos = form.elements.photos;
  var photosWarning = document.getElementById("feedback-photos-warning");
  if (photos) {
    photos.addEventListener("change", function () {
      var tooMany = photos.files.length > Number(text.photosMax);
      photos.setCustomValidity(tooMany ? text.labelPhotosMax : "");
      if (photosWarning) {
        photosWarning.hidden = !tooMany;
        photosWarning.textContent = tooMany ? text.labelPhotosMax : "";
      }
    });
  }

  // One submission: the button is disabled once the form goes (the one-time token covers reloads).
  var submit = document.getElementById("feedback-submit");
  form.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.name === "intent") {
      return;
    }
    if (submit) {
      window.setTimeout(function () {
        submit.disabled = true;
        submit.textContent = text.labelSending;
      }, 0);
    }
  });

  var errors = document.getElementById("feedback-errors");
  if (errors) {
    errors.focus();
  }
})();
