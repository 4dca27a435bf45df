// The atlas's one MapLibre style, built from the page's state: the app's own tiles and
// endpoints only (indicator units, region outlines, case areas, and for analysts the
// restricted layers). No basemap, glyphs or sprites: nothing to fetch from elsewhere.

import { appUrl } from "../shared/api.js";
import { COLORS } from "../shared/map-style.js";
import * as P from "./palette.js";

const enc = encodeURIComponent;

function tiles(wave, layer, query = "") {
  return [`${appUrl(`/surveys/${enc(wave)}/tiles/`)}${layer}/{z}/{x}/{y}.mvt${query}`];
}

function vector(wave, layer, extra = {}) {
  return { type: "vector", tiles: tiles(wave, layer), minzoom: 0, maxzoom: 12, ...extra };
}

/** The expression of a unit's value of the indicator (null when withheld or unknown). */
export const value = (indicator) => ["get", indicator];

/** True where the public may not see the indicator: it is in `suppressed_fields`. */
export function withheld(indicator) {
  return ["in", `,${indicator},`, ["concat", ",", ["coalesce", ["get", "suppressed_fields"], ""], ","]];
}

function fillColor(indicator, classes, colors) {
  const v = ["to-number", value(indicator)];
  const steps = ["case", ["==", v, 0], P.ZERO];
  classes.breaks.forEach((upper, i) => {
    if (i < classes.breaks.length - 1) steps.push(["<=", v, upper], colors[i]);
  });
  steps.push(colors[classes.breaks.length - 1] ?? P.ZERO);
  return steps;
}

function unitLayers(state) {
  const sourceLayer = `indicators_${state.level}`;
  const base = { source: "units", "source-layer": sourceLayer };
  const layers = [];
  if (state.show === "coverage") {
    const share =
      state.level === "comune"
        ? ["to-number", ["get", "responded"]]
        : ["coalesce", ["feature-state", "coverage"], 0];
    const color = ["step", share, P.COVERAGE[0], P.COVERAGE_BREAKS[0], P.COVERAGE[1], P.COVERAGE_BREAKS[1], P.COVERAGE[2], P.COVERAGE_BREAKS[2], P.COVERAGE[3]];
    // Filters cannot read feature state: whether a unit answered at all is in its tiles.
    const silent = ["==", ["to-number", ["get", "responded"]], 0];
    layers.push(
      { id: "units-coverage", type: "fill", ...base, filter: ["!", silent], paint: { "fill-color": color } },
      { id: "units-no-answer", type: "fill", ...base, filter: silent, paint: { "fill-pattern": "no-answer" } },
    );
  } else {
    const ind = state.indicator;
    const known = ["!=", ["typeof", value(ind)], "null"];
    const hidden = withheld(ind);
    layers.push(
      {
        id: "units-fill",
        type: "fill",
        ...base,
        filter: ["all", known, ["!", hidden]],
        paint: { "fill-color": fillColor(ind, state.classes, P.classColors(state.classes.breaks.length)) },
      },
      { id: "units-withheld", type: "fill", ...base, filter: hidden, paint: { "fill-pattern": "withheld" } },
      {
        id: "units-no-answer",
        type: "fill",
        ...base,
        filter: ["all", ["!", known], ["!", hidden]],
        paint: { "fill-pattern": "no-answer" },
      },
    );
  }
  layers.push(
    {
      id: "units-line",
      type: "line",
      ...base,
      paint: { "line-color": P.LINE, "line-width": state.level === "comune" ? 0.25 : 0.7 },
    },
    {
      id: "units-hover",
      type: "line",
      ...base,
      paint: {
        "line-color": COLORS.focus,
        "line-width": ["case", ["boolean", ["feature-state", "hover"], false], 3, 0],
      },
    },
  );
  return layers;
}

function analystLayers(state) {
  const layers = [];
  const a = state.analystLayers;
  if (a.hotspots) {
    const color = ["match", ["get", "hotspot_class"], ...Object.entries(P.HOTSPOT).flat(), "rgba(0,0,0,0)"];
    layers.push({
      id: "hotspots",
      type: "fill",
      source: "hotspots",
      "source-layer": "hotspots",
      filter: ["!=", ["get", "hotspot_class"], "not_significant"],
      paint: { "fill-color": color, "fill-opacity": 0.85 },
    });
  }
  if (a.clusters) {
    layers.push(
      { id: "clusters-fill", type: "fill", source: "clusters", "source-layer": "settlement_clusters", paint: { "fill-color": P.INFORMAL, "fill-opacity": 0.15 } },
      { id: "clusters-line", type: "line", source: "clusters", "source-layer": "settlement_clusters", paint: { "line-color": P.INFORMAL, "line-width": 1.5, "line-dasharray": [2, 1] } },
    );
  }
  const circle = (id, layer, size, color) => ({
    id,
    type: "circle",
    source: id,
    "source-layer": layer,
    paint: {
      // Area proportional to people: the radius grows with the square root.
      "circle-radius": ["interpolate", ["linear"], ["sqrt", ["coalesce", ["to-number", ["get", size]], 0]], 0, 2.5, 10, 6, 100, 30],
      "circle-color": color,
      "circle-opacity": 0.7,
      "circle-stroke-color": "#ffffff",
      "circle-stroke-width": 1,
    },
  });
  if (a.formal) layers.push(circle("formal", "formal_settlements", "occupants", P.FORMAL));
  if (a.informal) layers.push(circle("informal", "informal_settlements", "persons_mid", P.INFORMAL));
  return layers;
}

/** The whole style for a state (MapLibre diffs it against the one it draws). */
export function atlasStyle(state) {
  const wave = state.wave.code;
  const sources = {
    units: {
      ...vector(wave, `indicators_${state.level}`),
      promoteId: "code",
      attribution: "Confini: ISTAT (CC BY 4.0)",
    },
  };
  // At region level the units are the regions: one source, each tile asked for once.
  const regions = state.level === "region" ? "units" : "regions";
  if (regions === "regions") sources.regions = vector(wave, "indicators_region");
  const layers = [{ id: "background", type: "background", paint: { "background-color": COLORS.background } }];
  layers.push(...unitLayers(state));
  layers.push({
    id: "regions-line",
    type: "line",
    source: regions,
    "source-layer": "indicators_region",
    paint: { "line-color": P.OUTLINE, "line-width": state.level === "region" ? 1.2 : 1 },
  });
  if (state.analyst) {
    const a = state.analystLayers;
    if (a.hotspots) sources.hotspots = vector(wave, "hotspots");
    if (a.clusters) sources.clusters = vector(wave, "settlement_clusters");
    if (a.formal) sources.formal = vector(wave, "formal_settlements");
    if (a.informal) sources.informal = vector(wave, "informal_settlements");
    layers.push(...analystLayers(state));
  }
  if (state.caseAreas && state.areas?.features.length) {
    sources["case-areas"] = { type: "geojson", data: state.areas };
    layers.push(
      { id: "case-areas-fill", type: "fill", source: "case-areas", paint: { "fill-color": P.CASE_AREA, "fill-opacity": 0.08 } },
      { id: "case-areas-line", type: "line", source: "case-areas", paint: { "line-color": P.CASE_AREA, "line-width": 2.5 } },
    );
  }
  return { version: 8, sources, layers };
}
