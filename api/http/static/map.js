// The map page (/map): places from /api/map as clustered markers (Leaflet + markercluster,
// vendored) over the province outlines shipped with the site; no tile server is asked.
// Every text from the data goes in as text, never as HTML.
(function () {
  "use strict";
  const node = document.getElementById("map");
  const configNode = document.getElementById("map-config");
  if (!node || !configNode || !window.L || !window.fetch) return;
  const config = JSON.parse(configNode.textContent);
  const messages = config.messages;
  const form = document.getElementById("map-form");
  const summary = document.getElementById("map-summary");
  const list = document.getElementById("map-places");
  const searchLink = document.getElementById("map-search-link");

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : ""));
  }

  function el(tag, attrs, ...children) {
    const made = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) made.setAttribute(key, value);
    for (const child of children) made.append(child);
    return made;
  }

  const map = L.map(node, { minZoom: 3, maxZoom: 11, zoomSnap: 0.5, worldCopyJump: false });
  map.setView([35.5, 104.5], 4);
  map.attributionControl.setPrefix("Leaflet");
  map.attributionControl.addAttribution(messages["map.attribution"]);

  fetch(config.outlines)
    .then((response) => response.json())
    .then((outlines) => {
      const shapes = L.geoJSON(outlines, {
        interactive: false,
        style: { color: "#9b7b62", weight: 1, fillColor: "#f6f1e7", fillOpacity: 1 },
      });
      shapes.addTo(map);
      shapes.bringToBack();
      const labels = L.layerGroup();
      for (const feature of outlines.features) {
        const icon = L.divIcon({ className: "map-label", html: "", iconSize: null });
        const label = L.marker(feature.properties.label, { icon, interactive: false, keyboard: false });
        label.on("add", () => {
          const name = document.createElement("span");
          name.textContent = feature.properties.name;
          label.getElement().replaceChildren(name);
        });
        labels.addLayer(label);
      }
      labels.addTo(map);
    })
    .catch(() => {});  // the markers still show on the plain background

  function countIcon(count) {
    const size = count < 10 ? 30 : count < 100 ? 36 : 44;
    return L.divIcon({
      className: "map-marker",
      html: `<span>${Number(count)}</span>`,
      iconSize: [size, size],
    });
  }

  const clusters = L.markerClusterGroup({
    showCoverageOnHover: false,
    maxClusterRadius: 50,
    iconCreateFunction(cluster) {
      const count = cluster.getAllChildMarkers().reduce((sum, m) => sum + m.options.count, 0);
      return countIcon(count);
    },
  });
  map.addLayer(clusters);

  // A pop-up fits the map's width on a phone (Leaflet's default 300 px does not, beside its
  // margins) and keeps PAD px from the map's edges when Leaflet pans to show it; the page is
  // then scrolled to show all of it, as the map can be taller than what a phone shows of it.
  const PAD = 12;
  const POPUP_CHROME = 48;  // leaflet.css: content margins 20 + 24, wrapper padding, 1 px
  function popupOptions() {
    const room = node.clientWidth - 2 * PAD - POPUP_CHROME;
    return { maxWidth: Math.max(120, Math.min(300, room)), minWidth: 0, autoPanPadding: [PAD, PAD] };
  }
  map.on("resize", () => clusters.eachLayer((marker) => {  // a phone turned
    if (marker.getPopup()) L.setOptions(marker.getPopup(), popupOptions());
  }));
  let autopanning = false;
  map.on("autopanstart", () => {
    autopanning = true;
    map.once("moveend", () => { autopanning = false; });
  });
  map.on("popupopen", (event) => {
    const reveal = () => {
      const shown = event.popup.getElement();
      if (shown && shown.isConnected) shown.scrollIntoView({ block: "nearest", inline: "nearest" });
    };
    if (autopanning) map.once("moveend", reveal);
    else reveal();
  });

  function popup(place) {
    const box = el("div", { class: "map-popup" });
    box.append(el("h3", { class: "map-popup__title" }, place.label));
    box.append(el("p", {}, fill(messages["map.items_here"], { n: place.count })));
    if (place.centroid) box.append(el("p", { class: "map-popup__note" }, messages["map.centroid"]));
    const items = el("ul", { class: "map-popup__items" });
    for (const item of place.items) {
      const link = el("a", { href: item.page_url }, item.title);
      const extra = [item.category_label, item.date_label].filter(Boolean).join(" · ");
      items.append(el("li", {}, link, extra ? el("span", { class: "map-popup__meta" }, ` ${extra}`) : ""));
    }
    box.append(items);
    box.append(el("a", { class: "map-popup__more", href: place.search_url },
      fill(messages["map.more_items"], { n: place.count })));
    return box;
  }

  function render(data) {
    clusters.clearLayers();
    const markers = data.places.map((place) => {
      const marker = L.marker([place.lat, place.lon], {
        icon: countIcon(place.count), count: place.count, title: place.label, alt: place.label,
      });
      marker.bindPopup(() => popup(place), popupOptions());
      return marker;
    });
    clusters.addLayers(markers);
    node.dataset.places = String(data.places.length);
    node.dataset.placed = String(data.placed);
    summary.textContent = fill(messages["map.summary"], {
      placed: data.placed, total: data.total, places: data.places.length,
    });
    searchLink.href = data.search_url;
    list.replaceChildren(...data.places.slice(0, 30).map((place) => el("li", {},
      el("a", { href: place.search_url }, place.label),
      el("span", { class: "map-places__count" }, ` (${place.count})`))));
  }

  let pending = null;
  async function load(query) {
    if (pending) pending.abort();
    const mine = pending = new AbortController();
    node.setAttribute("aria-busy", "true");
    try {
      const params = new URLSearchParams(query);
      params.set("lang", config.lang);
      const response = await fetch(`/api/map?${params}`, {
        signal: mine.signal, headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(String(response.status));
      render(await response.json());
    } catch (error) {
      if (error.name !== "AbortError") summary.textContent = messages["map.error"];
    } finally {
      if (pending === mine) node.removeAttribute("aria-busy");
    }
  }

  function formQuery() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value) params.append(key, value);
    return params.toString();
  }

  form.addEventListener("change", () => {
    const query = formQuery();
    history.replaceState(null, "", query ? `/map?${query}` : "/map");
    load(query);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    form.dispatchEvent(new Event("change"));
  });
  load(formQuery());
})();
