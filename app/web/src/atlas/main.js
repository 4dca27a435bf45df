// The atlas: /map. Public figures for everyone; an analyst's token (kept in sessionStorage)
// adds the restricted layers. State lives in `state`; the map's style and the side panel are
// drawn from it.

import "./style.css";

import { ApiError, appRoot, createApi } from "../shared/api.js";
import { announce, h, replaceChildren } from "../shared/dom.js";
import { lang, onLangChange, setLang, t } from "../shared/i18n.js";
import { loadMapLibre, mapLocale, preloadWorker } from "../shared/maplibre.js";
import { forgetToken, getToken, setToken } from "../shared/token.js";
import { createData, INDICATORS, LEVELS, METHODS } from "./data.js";
import { atlasStyle } from "./layers.js";
import { patternImage } from "./palette.js";
import * as views from "./views.js";

const api = createApi(getToken);
const data = createData(api);
const app = document.getElementById("app");
const ITALY = [
  [6.6, 36.6],
  [18.6, 47.1],
];
const UNIT_LAYERS = ["units-fill", "units-withheld", "units-no-answer", "units-coverage"];

const query = new URLSearchParams(window.location.search);
const state = {
  waves: [],
  wave: null,
  show: query.get("show") === "coverage" ? "coverage" : "indicator",
  level: LEVELS.includes(query.get("level")) ? query.get("level") : "region",
  indicator: INDICATORS.includes(query.get("indicator")) ? query.get("indicator") : "informal_persons_mid",
  method: METHODS.includes(query.get("method")) ? query.get("method") : "quantiles",
  k: 5,
  classes: null,
  caseAreas: true,
  areas: null,
  coverage: new Map(), // unit code -> share of residents covered, for the current level
  regionRows: [],
  regionProgress: [],
  analyst: null,
  analystMessage: null,
  analystLayers: { informal: true, formal: false, clusters: true, hotspots: false },
  runs: [],
  run: "published",
};
let map = null;
let maplibre = null;
let hovered = null;
let popup = null;
let drawn = 0; // increases with every style applied, so a test can wait for the latest

// --- drawing --------------------------------------------------------------------------------

function header() {
  const other = lang() === "it" ? "en" : "it";
  replaceChildren(document.getElementById("header-actions"),
    h("a", { class: "btn btn-sm btn-outline-light", href: `${appRoot()}/docs` }, t("atlas.docs")),
    h("button", { type: "button", class: "btn btn-sm btn-outline-light", lang: other, onclick: () => setLang(other) },
      other === "en" ? "English" : "Italiano"));
  document.getElementById("brand").textContent = t("atlas.brand");
  document.title = state.wave ? `${t("atlas.title")} · ${state.wave.title}` : t("atlas.title");
  document.querySelector(".skip-link").textContent = t("skip");
  replaceChildren(document.getElementById("footer"), h("p", { class: "mb-0", id: "licence" }, t("atlas.licence")));
}

const handlers = {
  wave: (code) => change({ wave: state.waves.find((w) => w.code === code), run: "published" }, { wave: true }),
  show: (show) => change({ show }),
  level: (level) => change({ level }),
  indicator: (indicator) => change({ indicator }),
  method: (method) => change({ method }),
  k: (k) => change({ k }),
  caseAreas: (caseAreas) => change({ caseAreas }, { classes: false }),
};
const analystHandlers = {
  signIn,
  signOut,
  layer: (key, on) => change({ analystLayers: { ...state.analystLayers, [key]: on } }, { classes: false }),
  run: (run) => change({ run }, { classes: false, areas: true }),
};

function side() {
  return h("aside", { class: "atlas-side", "aria-label": t("atlas.controls") },
    h("h1", { tabindex: "-1" }, t("atlas.title")),
    h("p", { class: "hint" }, state.wave ? state.wave.title : ""),
    h("p", { class: "hint" }, t("atlas.intro")),
    views.controls(state, handlers),
    h("div", { id: "legend-host" }, views.legend(state)),
    views.hoverBox(),
    h("div", { id: "cases-host" }, views.caseList(state, showArea)),
    h("div", { id: "downloads-host" }, views.downloads(state, appRoot(), download)),
    h("div", { id: "analyst-host" }, views.analystBox(state, analystHandlers)));
}

function mapLabel() {
  const what = state.show === "coverage" ? t("atlas.show.coverage") : t(`ind.${state.indicator}`);
  return t("atlas.map_label", { indicator: what, level: t(`atlas.level.${state.level}`) });
}

/** Draw the page around the map (the map itself is kept and restyled). */
function render() {
  header();
  const focused = document.activeElement?.id;
  let mapHost = document.getElementById("map-host");
  if (!mapHost) {
    mapHost = h("div", { class: "atlas-map", id: "map-host" }, h("div", { class: "map", id: "map" }));
    replaceChildren(app, h("div", { class: "atlas-grid" }, h("div", { class: "atlas-side-host", id: "side-host" }), mapHost, h("div", { class: "atlas-table px-3", id: "table-host" })));
  }
  replaceChildren(document.getElementById("side-host"), side());
  replaceChildren(document.getElementById("table-host"), views.regionsTable(state));
  map?.getCanvas().setAttribute("aria-label", mapLabel());
  if (focused) document.getElementById(focused)?.focus();
}

function rememberInAddress() {
  const q = new URLSearchParams({ wave: state.wave.code, show: state.show, level: state.level, indicator: state.indicator, method: state.method });
  window.history.replaceState(null, "", `${window.location.pathname}?${q}`);
}

// --- loading --------------------------------------------------------------------------------

/** The coverage shares of the current level's units (for the coverage map and the hover). */
function loadCoverage() {
  const code = state.wave.code;
  const level = state.level;
  if (level === "comune" || state.coverageLevel === `${code}:${level}`) return Promise.resolve();
  return data.progress(code, level).then((rows) => {
    state.coverage = new Map(rows.map((r) => [r.code, r.coverage_population]));
    state.coverageLevel = `${code}:${level}`;
    if (level === "region") state.regionProgress = rows;
  });
}

/** Fetch what the map needs to draw this state: the class breaks, or the coverage shares. */
async function loadMap({ classes = true } = {}) {
  if (state.show === "coverage") return loadCoverage();
  if (classes) state.classes = await data.classes(state.wave.code, state);
}

/** Fetch what the panel shows beside the map: the regions' table, the case areas. */
async function loadPanel({ wave = false, areas = false } = {}) {
  const code = state.wave.code;
  const jobs = [loadCoverage()];
  if (wave) {
    jobs.push(data.indicators(code, "region").then((rows) => (state.regionRows = rows)));
    if (state.level !== "region") {
      jobs.push(data.progress(code, "region").then((rows) => (state.regionProgress = rows)));
    }
    if (state.analyst) jobs.push(data.runs(code).then((runs) => (state.runs = runs)));
  }
  if (wave || areas) jobs.push(loadAreas());
  await Promise.all(jobs);
}

/** The case areas to outline: the published run's, or the run an analyst picked. */
function loadAreas() {
  const code = state.wave.code;
  const run = state.analyst && state.run !== "published" ? state.run : null;
  const key = `${code}:${run ?? "published"}:${state.analyst ? "analyst" : "public"}`;
  if (state.areasKey === key) return state.areasLoading;
  state.areasKey = key;
  state.areasLoading = (run ? data.runAreas(code, run) : data.publishedAreas(code)).then((a) => {
    state.areas = a;
  });
  state.areasLoading.catch(() => (state.areasKey = null));
  return state.areasLoading;
}

async function load({ wave = false, classes = true, areas = false } = {}) {
  await Promise.all([loadMap({ classes }), loadPanel({ wave, areas })]);
}

async function change(changes, what = {}) {
  Object.assign(state, changes);
  if (changes.level || changes.wave) state.coverageLevel = null;
  try {
    await load({ classes: what.classes ?? true, wave: what.wave ?? false, areas: what.areas ?? false });
  } catch (error) {
    return failed(error);
  }
  rememberInAddress();
  render();
  restyle();
}

function failed(error) {
  console.warn(error);
  announce(t("atlas.failed"), { assertive: true });
  replaceChildren(document.getElementById("hover") ?? app, h("p", { class: "status-banner danger", role: "alert" }, t("atlas.failed")));
}

// --- the map --------------------------------------------------------------------------------

function withToken(url) {
  const token = getToken();
  // Only the app's own addresses ever see the token.
  if (token && state.analyst && url.startsWith(window.location.origin)) {
    return { url, headers: { Authorization: `Bearer ${token}` } };
  }
  return { url };
}

/** Save an export fetched with the analyst's token (a link alone would give public figures). */
async function download(href, filename) {
  const url = new URL(href, window.location.href).href;
  const { headers } = withToken(url);
  try {
    const response = await fetch(url, { headers, cache: "no-store", credentials: "omit" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const saved = URL.createObjectURL(await response.blob());
    const a = h("a", { href: saved, download: filename, hidden: "" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(saved), 60_000);
  } catch (error) {
    failed(error);
  }
}

async function createMap() {
  maplibre = await loadMapLibre();
  map = new maplibre.Map({
    container: "map",
    style: atlasStyle(state),
    bounds: ITALY,
    fitBoundsOptions: { padding: 8 },
    minZoom: 3.5,
    maxZoom: 14,
    locale: { ...mapLocale(), "Map.Title": mapLabel() },
    attributionControl: { compact: false },
    transformRequest: withToken,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
  });
  map.addControl(new maplibre.NavigationControl({ showCompass: false }));
  // The patterns are drawn here, on demand: no sprite to fetch.
  map.setMissingStyleImageResolver((id) => {
    const image = patternImage(id);
    if (image && !map.hasImage(id)) map.addImage(id, image);
  });
  map.on("mousemove", hover);
  map.on("mouseout", () => setHovered(null));
  map.on("click", "case-areas-fill", (e) => openPopup(e.features[0], e.lngLat));
  map.on("mouseenter", "case-areas-fill", () => (map.getCanvas().style.cursor = "pointer"));
  map.on("mouseleave", "case-areas-fill", () => (map.getCanvas().style.cursor = ""));
  map.on("sourcedata", (e) => {
    if (e.sourceId === "units" && e.isSourceLoaded) applyCoverage();
  });
  window.incasAtlas = { map, state };
  afterDraw();
}

function restyle() {
  if (!map) return;
  popup?.remove();
  setHovered(null);
  map.setStyle(atlasStyle(state));
  afterDraw();
}

/** Mark the page once the map has drawn this state (tests and the bench wait for it). */
function afterDraw() {
  const turn = ++drawn;
  map.once("idle", () => {
    if (turn !== drawn) return;
    applyCoverage();
    const el = document.getElementById("map-host");
    el.dataset.drawn = [state.wave.code, state.show, state.level, state.indicator, state.method, state.k, turn].join(":");
  });
  // The first choropleth on screen, whichever state it was drawn for.
  if (!performance.getEntriesByName("incas:choropleth").length) {
    map.once("idle", () => performance.getEntriesByName("incas:choropleth").length || performance.mark("incas:choropleth"));
  }
}

/** Coverage shares ride on the units as feature state (the tiles do not carry them). */
function applyCoverage() {
  if (!map?.getSource("units") || state.level === "comune") return;
  const sourceLayer = `indicators_${state.level}`;
  for (const [code, share] of state.coverage) {
    map.setFeatureState({ source: "units", sourceLayer, id: code }, { coverage: share ?? -1 });
  }
}

function setHovered(feature) {
  if (hovered) map.setFeatureState(hovered, { hover: false });
  hovered = feature ? { source: "units", sourceLayer: feature.sourceLayer, id: feature.id } : null;
  if (hovered) map.setFeatureState(hovered, { hover: true });
  const box = document.getElementById("hover");
  if (!box) return;
  if (!feature) return replaceChildren(box, t("atlas.hover.none"));
  replaceChildren(box, views.hoverText(state, feature.properties, state.coverage.get(feature.properties.code)));
}

function hover(e) {
  const layers = UNIT_LAYERS.filter((id) => map.getLayer(id));
  const [feature] = map.queryRenderedFeatures(e.point, { layers });
  if (feature?.id !== hovered?.id) setHovered(feature ?? null);
}

function openPopup(feature, lngLat) {
  const p = feature.properties;
  const reasons = JSON.parse(p.reasons || "[]");
  const body = h("div", { class: "case-popup" },
    h("strong", {}, t("atlas.case_rank", { rank: p.rank, name: p.name })),
    h("ul", {}, reasons.map((r) => h("li", {}, r))));
  popup?.remove();
  popup = new maplibre.Popup({ maxWidth: "22rem", focusAfterOpen: true }).setLngLat(lngLat).setDOMContent(body).addTo(map);
}

/** From the list beside the map (the keyboard's way): fly to an area and open its popup. */
function showArea(feature) {
  const coords = feature.geometry.coordinates.flat(2);
  const xs = coords.map((c) => c[0]);
  const ys = coords.map((c) => c[1]);
  const box = [
    [Math.min(...xs), Math.min(...ys)],
    [Math.max(...xs), Math.max(...ys)],
  ];
  map.fitBounds(box, { padding: 60, maxZoom: 10, animate: false });
  openPopup(feature, [(box[0][0] + box[1][0]) / 2, (box[0][1] + box[1][1]) / 2]);
}

// --- analysts -------------------------------------------------------------------------------

async function signIn(token) {
  setToken(token);
  await identify({ entered: true });
}

/** Check the tab's token; an analyst's (or admin's) opens the analysts' view. */
async function identify({ entered = false } = {}) {
  if (!getToken()) return;
  try {
    const me = await data.me();
    if (!["analyst", "admin"].includes(me.role)) {
      // A respondent's token of the questionnaire in this tab stays where it was.
      if (entered) {
        forgetToken();
        state.analystMessage = t("atlas.analyst.not_analyst");
        render();
      }
      return;
    }
    state.analyst = me;
    state.analystMessage = null;
    state.runs = await data.runs(state.wave.code);
  } catch (error) {
    forgetToken();
    state.analyst = null;
    state.analystMessage = error instanceof ApiError && error.status === 401 ? t("atlas.analyst.invalid") : t("atlas.failed");
    return render();
  }
  announce(t("atlas.analyst.signed_in", { label: state.analyst.label, role: state.analyst.role }));
  // The indicator tiles now carry the analyst's full figures: the units are fetched afresh.
  if (map) map.setStyle({ version: 8, sources: {}, layers: [] }, { diff: false });
  await change({}, { classes: false, areas: true, wave: true });
}

function signOut() {
  forgetToken();
  Object.assign(state, { analyst: null, runs: [], run: "published" });
  if (map) map.setStyle({ version: 8, sources: {}, layers: [] }, { diff: false });
  change({}, { classes: false, areas: true, wave: true });
}

// --- start ----------------------------------------------------------------------------------

onLangChange(() => {
  render();
  map?.getCanvas().setAttribute("aria-label", mapLabel());
});

async function start() {
  // MapLibre (most of the page's weight) and its worker load while the figures are fetched.
  loadMapLibre();
  preloadWorker();
  document.documentElement.lang = lang();
  header();
  try {
    state.waves = await data.waves();
  } catch (error) {
    return failed(error);
  }
  if (!state.waves.length) {
    replaceChildren(app, h("p", { class: "p-3" }, t("atlas.no_waves")));
    document.documentElement.dataset.ready = "true";
    return;
  }
  // The wave asked for in the address, else the newest.
  const newest = [...state.waves].sort((a, b) => b.opens_at.localeCompare(a.opens_at))[0];
  state.wave = state.waves.find((w) => w.code === query.get("wave")) ?? newest;
  // The map draws as soon as its breaks and case areas are known (one style, drawn once);
  // the table and the coverage shares follow.
  const panel = loadPanel({ wave: true });
  try {
    await Promise.all([loadMap(), loadAreas()]);
  } catch (error) {
    return failed(error);
  }
  render();
  await createMap();
  try {
    await panel;
  } catch (error) {
    return failed(error);
  }
  render();
  applyCoverage();
  document.documentElement.dataset.ready = "true";
  if (getToken()) identify();
}

start();
