// One map for every settlement: "show on the map" moves it under that settlement, a click
// places its point. The map shows the comune's boundary over the app's own comuni tiles,
// and a dot for each settlement already placed (the one being placed stands out).

import { h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { bounds, COLORS, comuniStyle } from "../shared/map-style.js";
import { loadMapLibre, mapLocale } from "../shared/maplibre.js";

const round6 = (x) => Math.round(x * 1e6) / 1e6; // 0.1 m, as the API writes coordinates

/**
 * vintage: the wave's boundary year; comune(): a promise of the comune's GeoJSON Feature;
 * pins(): the placed settlements as [{path, coordinates}]; onPick(itemPath, [lon, lat]).
 */
export function createLocationMap({ vintage, comune, pins, onPick }) {
  const container = h("div", { class: "location-map" });
  const frame = h("div", { class: "location-map-frame" }, h("p", { class: "small mb-1" }, t("map.help")), container);
  let map = null;
  let ready = null;
  let active = null;

  function pinData() {
    return {
      type: "FeatureCollection",
      features: pins()
        .filter((p) => p.coordinates.every((c) => typeof c === "number" && Number.isFinite(c)))
        .map((p) => ({
          type: "Feature",
          properties: { active: p.path === active },
          geometry: { type: "Point", coordinates: p.coordinates },
        })),
    };
  }

  async function create() {
    const [maplibregl, feature] = await Promise.all([loadMapLibre(), comune()]);
    map = new maplibregl.Map({
      container,
      style: comuniStyle(vintage),
      bounds: bounds(feature.geometry),
      fitBoundsOptions: { padding: 24 },
      // MapLibre names its canvas (role region) with this.
      locale: { ...mapLocale(), "Map.Title": t("map.label") },
      attributionControl: { compact: true },
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
    });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
    map.getCanvas().style.cursor = "crosshair";
    await new Promise((resolve) => map.once("load", resolve));
    map.addSource("comune", { type: "geojson", data: feature });
    map.addLayer({ id: "comune-fill", type: "fill", source: "comune", paint: { "fill-color": COLORS.focus, "fill-opacity": 0.08 } });
    map.addLayer({ id: "comune-line", type: "line", source: "comune", paint: { "line-color": COLORS.focus, "line-width": 2.5 } });
    map.addSource("pins", { type: "geojson", data: pinData() });
    map.addLayer({
      id: "pins",
      type: "circle",
      source: "pins",
      paint: {
        "circle-radius": ["case", ["get", "active"], 8, 5],
        "circle-color": ["case", ["get", "active"], COLORS.accent, "#30373d"],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 2,
      },
    });
    map.on("click", (e) => {
      if (active) onPick(active, [round6(e.lngLat.lng), round6(e.lngLat.lat)]);
    });
    container.dataset.ready = "true";
    performance.mark("incas:map-ready");
  }

  function update() {
    map?.getSource("pins")?.setData(pinData());
  }

  return {
    /** Show the map under a settlement's location (its slot); clicks now place that one. */
    async open(locationPath, slot) {
      active = locationPath.replace(/\.location$/, "");
      slot.append(frame);
      ready ??= create().catch((error) => {
        ready = null;
        frame.replaceChildren(h("p", { class: "status-banner warning" }, t("map.failed")));
        console.error(error);
      });
      await ready;
      map?.resize();
      update();
    },
    close() {
      active = null;
      frame.remove();
    },
    isOpenFor(locationPath) {
      return active !== null && `${active}.location` === locationPath;
    },
    /** After a list is redrawn: follow the active settlement into its new slot, if it is still there. */
    reattach(findSlot) {
      if (!active) return;
      const slot = findSlot(`${active}.location`);
      if (!slot) return this.close();
      slot.append(frame);
      const toggle = slot.closest("fieldset")?.querySelector("[data-map-toggle]");
      if (toggle) {
        toggle.setAttribute("aria-expanded", "true");
        toggle.textContent = t("form.map_hide");
      }
      map?.resize();
      update();
    },
    /** An item of a list was removed: the others' paths shift, so stop placing any of them. */
    forget(list) {
      if (active?.startsWith(`${list}[`)) this.close();
    },
    update,
  };
}
