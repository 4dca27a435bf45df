// The one MapLibre style a page starts from: the app's own comuni tiles, nothing from
// elsewhere (no basemap, no glyphs, no sprites: no text layers, so no fonts to fetch).

import { appUrl } from "./api.js";

export const COLORS = {
  background: "#eef0f2",
  land: "#ffffff",
  border: "#8a96a3",
  focus: "#0066cc",
  accent: "#d1344c",
};

/** The comuni of a boundary vintage as vector tiles, drawn as a quiet basemap. */
export function comuniStyle(vintage, { minzoom = 7 } = {}) {
  const layer = `comuni_${vintage}`;
  return {
    version: 8,
    sources: {
      comuni: {
        type: "vector",
        // Braces appended after URL resolution, which would escape them.
        tiles: [`${appUrl("/tiles/")}${layer}/{z}/{x}/{y}.mvt`],
        // Whole-country tiles are heavy and say nothing at a comune's scale.
        minzoom,
        maxzoom: 14,
        attribution: "Confini: ISTAT (CC BY 4.0)",
      },
    },
    layers: [
      { id: "background", type: "background", paint: { "background-color": COLORS.background } },
      { id: "comuni-fill", type: "fill", source: "comuni", "source-layer": layer, paint: { "fill-color": COLORS.land } },
      {
        id: "comuni-line",
        type: "line",
        source: "comuni",
        "source-layer": layer,
        paint: { "line-color": COLORS.border, "line-width": 0.8 },
      },
    ],
  };
}

/** The bounding box [[w, s], [e, n]] of a GeoJSON geometry. */
export function bounds(geometry) {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  const visit = (coords) => {
    if (typeof coords[0] === "number") {
      w = Math.min(w, coords[0]);
      e = Math.max(e, coords[0]);
      s = Math.min(s, coords[1]);
      n = Math.max(n, coords[1]);
    } else coords.forEach(visit);
  };
  visit(geometry.coordinates);
  return [
    [w, s],
    [e, n],
  ];
}
