/* filiere workspace map: packaged outlines (no tiles), suppliers as circle markers.
 *
 * The page holds <div class="fmap" data-...> and two JSON blocks:
 *   #map-features  a GeoJSON FeatureCollection (filiere.viz.geodata)
 *   #map-labels    the words of the popups and legend, in the reader's language
 * Every text reaches the page through textContent: nothing from the data runs as HTML.
 */
(function () {
  "use strict";

  var COLOURS = {
    current: "#b2182b",
    tier1: "#1a9850",
    tier2: "#2166ac",
    tier3: "#7b3294",
    firm: "#2166ac",
    country: "#b2182b"
  };
  var VIEWS = {
    france: [[41.3, -5.2], [51.1, 9.6]],
    europe: [[34.0, -12.0], [71.0, 35.0]],
    world: [[-50.0, -170.0], [75.0, 180.0]]
  };

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(url + ": " + r.status); }
      return r.json();
    });
  }

  function line(parent, text, cls) {
    var p = document.createElement("div");
    if (cls) { p.className = cls; }
    p.textContent = text;
    parent.appendChild(p);
    return p;
  }

  function popupFor(props, words) {
    var box = document.createElement("div");
    box.className = "fmap-popup";
    var title = document.createElement("strong");
    title.textContent = props.name || props.supplier || props.country_name || props.country;
    box.appendChild(title);
    if (props.suppliers !== undefined) {
      line(box, (props.country_name || props.country) + " : " + props.suppliers + " " + words.suppliers);
      return box;
    }
    var where = [props.city, props.region_name, props.country_name].filter(Boolean).join(", ");
    if (where) { line(box, where); }
    line(box, words.groups[props.group] || props.group, "fmap-group");
    (props.routes || []).forEach(function (r) {
      var why = (words.kinds[r.kind] || r.kind) + (r.kind === "substitute" ? " " + (r.via_name || r.via) : "");
      line(box, why);
      if (r.substitute_at_risk) { line(box, words.substitute_at_risk, "fmap-warning"); }
    });
    if (props.processes && props.processes.length) {
      line(box, words.processes + " " + props.processes.join(", "));
    }
    if (props.position !== "exact") { line(box, words.approximate, "fmap-approx"); }
    return box;
  }

  /* The regions' outlines. With ``links``, each region (drawn in SVG, under the markers)
   * opens its page (/region/<ISO code>) on a click and names itself on hover; the page
   * lists the same links for the keyboard. */
  function regionOutlines(data, links, renderer) {
    var plain = { color: "#555", weight: 1.2, fill: false };
    if (!links) {
      return L.geoJSON(data, { renderer: renderer, interactive: false, style: plain });
    }
    var idle = { color: "#555", weight: 1.2, fill: true, fillColor: "#2166ac", fillOpacity: 0 };
    var hover = { weight: 2.5, fillOpacity: 0.08 };
    return L.geoJSON(data, {
      style: idle,
      filter: function (feature) { return Boolean(feature.properties.iso); },
      onEachFeature: function (feature, path) {
        var iso = feature.properties.iso;
        var name = document.createElement("span");
        name.textContent = feature.properties.nom || iso;
        path.bindTooltip(name, { sticky: true, direction: "top" });
        path.on("mouseover", function () { path.setStyle(hover); });
        path.on("mouseout", function () { path.setStyle(idle); });
        path.on("click", function () {
          window.location.assign("/region/" + encodeURIComponent(iso));
        });
        path.on("add", function () {
          var el = path.getElement();
          if (el) {
            el.setAttribute("data-region", iso);
            el.classList.add("fmap-region");
          }
        });
      }
    });
  }

  function start(el) {
    var features = readJson(el.getAttribute("data-features")) || { features: [] };
    var words = readJson(el.getAttribute("data-labels")) || { groups: {}, kinds: {} };
    var map = L.map(el, { zoomSnap: 0.25, worldCopyJump: false, minZoom: 1, maxZoom: 12 });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(words.attribution || "");
    var outlines = L.canvas({ padding: 0.2 });
    var markers = {};
    var layer = L.geoJSON(features, {
      pointToLayer: function (feature, latlng) {
        var p = feature.properties;
        var group = p.group || "country";
        var radius = p.suppliers ? Math.min(6 + Math.sqrt(p.suppliers) * 2, 22) : 7;
        return L.circleMarker(latlng, {
          radius: radius,
          color: "#222",
          weight: 1,
          fillColor: COLOURS[group] || "#555",
          fillOpacity: 0.85,
          className: "fmap-marker fmap-" + group
        });
      },
      onEachFeature: function (feature, marker) {
        var key = feature.properties.supplier || feature.properties.country;
        marker.bindPopup(popupFor(feature.properties, words));
        markers[key] = marker;
        marker.on("add", function () {
          var path = marker.getElement();
          if (path) {
            path.setAttribute("data-key", key);
            path.setAttribute("role", "img");
            path.setAttribute("aria-label", feature.properties.name || feature.properties.country_name || key);
          }
        });
      }
    });
    var view = el.getAttribute("data-view") || "fit";
    var bounds = layer.getLayers().length ? layer.getBounds() : null;
    map.fitBounds(view !== "fit" || !bounds ? VIEWS[view] || VIEWS.france : bounds.pad(0.2));

    var base = el.getAttribute("data-base");
    Promise.all([
      getJson(el.getAttribute("data-world")),
      getJson(el.getAttribute("data-regions")),
      getJson(el.getAttribute("data-departements"))
    ]).then(function (got) {
      var world = got[0];
      L.geoJSON(topojson.feature(world, world.objects.countries), {
        renderer: outlines, interactive: false,
        style: { color: "#9a9a9a", weight: 0.6, fillColor: "#f2efe9", fillOpacity: 1 }
      }).addTo(map);
      L.geoJSON(got[2], {
        renderer: outlines, interactive: false,
        style: { color: "#b9b9b9", weight: 0.5, fill: false }
      }).addTo(map);
      regionOutlines(got[1], el.hasAttribute("data-region-links"), outlines).addTo(map);
      layer.addTo(map);
      el.setAttribute("data-ready", "true");
    }).catch(function (err) {
      layer.addTo(map);
      el.setAttribute("data-ready", "error");
      if (window.console) { console.warn(err.message); }
    });

    document.querySelectorAll("[data-map-view]").forEach(function (button) {
      button.addEventListener("click", function () {
        map.fitBounds(VIEWS[button.getAttribute("data-map-view")]);
      });
    });
    document.querySelectorAll("[data-map-show]").forEach(function (button) {
      button.addEventListener("click", function () {
        var marker = markers[button.getAttribute("data-map-show")];
        if (!marker) { return; }
        map.setView(marker.getLatLng(), Math.max(map.getZoom(), 6));
        marker.openPopup();
        el.scrollIntoView({ block: "nearest" });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".fmap").forEach(start);
  });
})();
