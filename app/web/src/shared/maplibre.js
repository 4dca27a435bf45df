// MapLibre GL JS, loaded only when a page first shows a map (it is most of a page's weight).
// Its worker is a file of ours with a hashed name (__MAPLIBRE_WORKER__, set by bundle.mjs),
// so the CSP needs no blob: workers.

import { appRoot } from "./api.js";
import { t } from "./i18n.js";

const LOCALE_KEYS = [
  "AttributionControl.ToggleAttribution",
  "Map.Title",
  "NavigationControl.ResetBearing",
  "NavigationControl.ZoomIn",
  "NavigationControl.ZoomOut",
  "ScaleControl.Meters",
  "ScaleControl.Kilometers",
];

let loading = null;

const workerUrl = () => new URL(`${appRoot()}/static/${__MAPLIBRE_WORKER__}`, window.location.href).href;

/** Load MapLibre once; resolve to its module. */
export function loadMapLibre() {
  loading ??= import("maplibre-gl").then((maplibregl) => {
    maplibregl.setWorkerUrl(workerUrl());
    return maplibregl;
  });
  return loading;
}

/** Fetch the worker's script into the HTTP cache (it is immutable) before the map asks. */
export function preloadWorker() {
  fetch(workerUrl(), { credentials: "same-origin" }).catch(() => {});
}

/** MapLibre's control texts in the page's language. */
export function mapLocale() {
  return Object.fromEntries(LOCALE_KEYS.map((key) => [key, t(`maplibre.${key}`)]));
}
