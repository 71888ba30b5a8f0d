// The district map: the areas' own boundaries (no tile server), shaded by order volume or by
// hotspot heat, orders with coordinates as points. Data from the page's data-url (JSON).
(function () {
  "use strict";
  const SHADES = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#e6550d", "#a63603"];

  function shade(value, max) {
    if (!value || !max) return "#ffffff";
    const i = Math.min(SHADES.length - 1, Math.floor((value / max) * SHADES.length));
    return SHADES[i];
  }

  function popup(props, labels) {
    const box = document.createElement("div");
    const name = document.createElement("div");
    name.className = "map-popup-name";
    name.textContent = props.name;
    box.appendChild(name);
    for (const key of ["orders", "heat", "hotspots"]) {
      const line = document.createElement("div");
      line.textContent = labels[key] + ": " + props[key];
      box.appendChild(line);
    }
    return box;
  }

  function draw(el, data) {
    const map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
    const features = data.areas.features;
    let by = "orders";
    const max = { orders: 0, heat: 0 };
    for (const f of features) {
      max.orders = Math.max(max.orders, f.properties.orders);
      max.heat = Math.max(max.heat, f.properties.heat);
    }
    const style = (f) => ({ className: "map-area", color: "#345", weight: 1.5, fillOpacity: 0.75,
                            fillColor: shade(f.properties[by], max[by]) });
    const areas = L.geoJSON(data.areas, {
      style: style,
      onEachFeature: (f, layer) => layer.bindPopup(popup(f.properties, data.labels)),
    }).addTo(map);
    for (const p of data.points) {
      const dot = L.circleMarker([p.lat, p.lon], { className: "map-point", radius: 3, weight: 1,
                                                   color: "#123", fillColor: "#2b6cb0", fillOpacity: 0.8 });
      const text = document.createElement("span");
      text.textContent = p.number + " " + p.title;
      dot.bindTooltip(text).addTo(map);
    }
    if (data.bounds) {
      const bounds = L.latLngBounds(data.bounds);
      map.fitBounds(bounds);
      map.setMaxBounds(bounds.pad(0.2));
    } else {
      map.setView([0, 0], 2);
    }
    document.querySelectorAll("input[name=shade]").forEach((input) => {
      input.addEventListener("change", () => { by = input.value; areas.setStyle(style); });
    });
    const note = document.getElementById("map-note");
    if (note) note.textContent = data.labels.note;
    el.dataset.ready = "1";
  }

  document.addEventListener("DOMContentLoaded", () => {
    const el = document.getElementById("map");
    if (!el || typeof L === "undefined") return;
    fetch(el.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then((data) => draw(el, data))
      .catch(() => { el.dataset.ready = "error"; });
  });
})();
