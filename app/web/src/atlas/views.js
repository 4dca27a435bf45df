// The atlas's side panel, legend, hover box, table and case-area list: drawn from the state.

import { h } from "../shared/dom.js";
import { number, t } from "../shared/i18n.js";
import { INDICATORS, isRate, isShare, LEVELS, METHODS } from "./data.js";
import * as P from "./palette.js";

/** A figure as people read it, or the word for why there is none. */
export function figure(indicator, value, withheld) {
  if (withheld) return t("atlas.value.withheld");
  if (value === null || value === undefined) return t("atlas.value.no_answer");
  if (isShare(indicator)) return `${number(value * 100, 1)}%`;
  return number(value, isRate(indicator) ? 2 : 1);
}

function percent(share) {
  return share === null || share === undefined ? "–" : `${number(share * 100, 0)}%`;
}

function select(id, label, options, value, onchange) {
  return h("div", { class: "control" },
    h("label", { for: id }, label),
    h("select", { id, name: id, onchange: (e) => onchange(e.target.value) },
      options.map(([v, text]) => h("option", { value: v, selected: v === String(value) }, text))));
}

function swatch(kind, color) {
  const el = h("span", { class: `swatch ${kind}`, "aria-hidden": "true" });
  if (color) el.style.backgroundColor = color; // through the CSSOM: the CSP allows no inline styles
  return el;
}

/** The controls: wave, what to show, level, indicator and its classes, case areas. */
export function controls(state, on) {
  const waves = state.waves.map((w) => [w.code, `${w.title} (${w.code})`]);
  const indicator = state.show === "indicator";
  return h("form", { class: "controls", id: "controls", "aria-labelledby": "controls-title", onsubmit: (e) => e.preventDefault() },
    h("h2", { id: "controls-title" }, t("atlas.controls")),
    select("wave", t("atlas.wave"), waves, state.wave.code, on.wave),
    select("show", t("atlas.show"), ["indicator", "coverage"].map((s) => [s, t(`atlas.show.${s}`)]), state.show, on.show),
    select("level", t("atlas.level"), LEVELS.map((l) => [l, t(`atlas.level.${l}`)]), state.level, on.level),
    indicator ? select("indicator", t("atlas.indicator"), INDICATORS.map((i) => [i, t(`ind.${i}`)]), state.indicator, on.indicator) : null,
    indicator
      ? h("div", { class: "row2" },
          select("method", t("atlas.method"), METHODS.map((m) => [m, t(`atlas.method.${m}`)]), state.method, on.method),
          select("k", t("atlas.k"), [3, 4, 5, 6, 7].map((k) => [String(k), String(k)]), state.k, (v) => on.k(Number(v))))
      : null,
    h("div", { class: "control" },
      h("label", { class: "check" },
        h("input", { type: "checkbox", id: "case-areas", name: "case-areas", checked: state.caseAreas, onchange: (e) => on.caseAreas(e.target.checked) }),
        t("atlas.case_areas"))),
  );
}

function rangeText(indicator, low, high) {
  return `${figure(indicator, low)} – ${figure(indicator, high)}`;
}

/** The legend: the classes the server computed, then zero, withheld, did not answer. */
export function legend(state) {
  const items = [];
  if (state.show === "coverage") {
    if (state.level === "comune") {
      items.push(h("li", {}, swatch("", P.COVERAGE[3]), t("atlas.legend.responded")));
    } else {
      const bounds = [0, ...P.COVERAGE_BREAKS, 1];
      P.COVERAGE.forEach((color, i) => items.push(h("li", {}, swatch("", color), `${percent(bounds[i])} – ${percent(bounds[i + 1])}`)));
    }
    items.push(h("li", {}, swatch("no-answer"), t("atlas.legend.no_answer")));
  } else if (state.classes) {
    const c = state.classes;
    const colors = P.classColors(c.breaks.length);
    c.breaks.forEach((upper, i) => {
      const low = i === 0 ? c.minimum : c.breaks[i - 1];
      // An analyst's full figures may lie below the public minimum: the first class is open.
      const text = i === 0 && state.analyst ? `≤ ${figure(state.indicator, upper)}` : rangeText(state.indicator, low, upper);
      items.push(h("li", { dataset: { upper: String(upper), color: colors[i] } }, swatch("", colors[i]), text));
    });
    items.push(h("li", { dataset: { zero: "" } }, swatch("", P.ZERO), t("atlas.legend.zero")));
    items.push(h("li", {}, swatch("withheld"), t("atlas.legend.withheld")));
    items.push(h("li", {}, swatch("no-answer"), t("atlas.legend.no_answer")));
  }
  if (state.caseAreas && state.areas?.features.length) items.push(h("li", {}, swatch("case-area"), t("atlas.legend.case_area")));
  if (state.analyst) {
    const a = state.analystLayers;
    if (a.informal) items.push(h("li", {}, swatch("dot", P.INFORMAL), t("atlas.layer.informal")));
    if (a.formal) items.push(h("li", {}, swatch("dot", P.FORMAL), t("atlas.layer.formal")));
    if (a.hotspots) Object.entries(P.HOTSPOT).forEach(([k, color]) => items.push(h("li", {}, swatch("", color), t(`atlas.hot.${k}`))));
  }
  const title = state.show === "coverage" ? t("atlas.legend.coverage") : t(`ind.${state.indicator}`);
  const note = state.show === "indicator" && state.classes
    ? h("p", { class: "legend-note" }, t("atlas.legend.note", { units: state.classes.units - state.classes.withheld - state.classes.no_value, method: t(`atlas.method.${state.method}`) }))
    : null;
  return h("section", { id: "legend", "aria-labelledby": "legend-title", dataset: { indicator: state.show === "indicator" ? state.indicator : "coverage" } },
    h("h2", { id: "legend-title" }, t("atlas.legend")),
    h("p", { class: "mb-1 fw-semibold", id: "legend-caption" }, title),
    h("ul", { class: "legend" }, items),
    note,
    state.analyst && state.show === "indicator" ? h("p", { class: "legend-note" }, t("atlas.full_figures")) : null);
}

/** What the pointer is over, read out politely. */
export function hoverBox() {
  return h("section", { "aria-labelledby": "hover-title" },
    h("h2", { id: "hover-title" }, t("atlas.hover")),
    h("div", { class: "hover-box", id: "hover", "aria-live": "polite" }, t("atlas.hover.none")));
}

export function hoverText(state, props, coverage) {
  const lines = [h("strong", {}, props.name ?? props.code)];
  if (state.show === "indicator") {
    const hidden = (props.suppressed_fields ?? "").split(",").includes(state.indicator);
    lines.push(h("br"), `${t(`ind.${state.indicator}`)}: ${figure(state.indicator, props[state.indicator], hidden)}`);
  }
  if (props.responded !== undefined) {
    lines.push(h("br"), `${t("atlas.table.responded")}: ${props.responded} / ${props.invited}`);
  }
  if (coverage !== undefined) lines.push(h("br"), `${t("atlas.table.coverage")}: ${percent(coverage)}`);
  return lines;
}

/** The regions' figures, the same the map shows: the table screen readers read. */
export function regionsTable(state) {
  const coverage = new Map((state.regionProgress ?? []).map((r) => [r.code, r]));
  const ind = state.indicator;
  const rows = [...(state.regionRows ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  return h("section", { "aria-labelledby": "table-title" },
    h("h2", { id: "table-title", class: "h5" }, t("atlas.table")),
    h("div", { class: "table-responsive" },
      h("table", { class: "table table-sm", id: "regions-table" },
        h("caption", {}, t("atlas.table.caption", { indicator: t(`ind.${ind}`) })),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, t("atlas.table.region")),
          h("th", { scope: "col", class: "num" }, t(`ind.${ind}`)),
          h("th", { scope: "col", class: "num" }, t("atlas.table.responded")),
          h("th", { scope: "col", class: "num" }, t("atlas.table.coverage")))),
        h("tbody", {}, rows.map((r) => {
          const p = coverage.get(r.code);
          return h("tr", { dataset: { code: r.code } },
            h("th", { scope: "row" }, r.name),
            h("td", { class: "num" }, figure(ind, r[ind], r.suppressed_fields.includes(ind))),
            h("td", { class: "num" }, `${r.responded} / ${r.invited}`),
            h("td", { class: "num" }, percent(p?.coverage_population)));
        })))));
}

/** The current level's exports; an analyst's are fetched with the token, so they hold full figures. */
export function downloads(state, appRoot, onDownload) {
  const name = `indicators_${state.level}`;
  const base = `${appRoot}/surveys/${encodeURIComponent(state.wave.code)}/exports/${name}`;
  const link = (ext, label) => {
    const href = `${base}.${ext}`;
    // A plain link cannot carry the Authorization header: it would give the public figures.
    const onclick = state.analyst ? (e) => { e.preventDefault(); onDownload(href, `${name}.${ext}`); } : undefined;
    return h("li", {}, h("a", { href, download: "", onclick }, label));
  };
  return h("section", { "aria-labelledby": "downloads-title" },
    h("h2", { id: "downloads-title" }, t("atlas.downloads")),
    h("ul", { class: "mb-1", id: "downloads" }, link("csv", "CSV"), link("gpkg", "GeoPackage"), link("geojson", "GeoJSON")),
    h("p", { class: "hint" }, t(state.analyst ? "atlas.downloads.note_analyst" : "atlas.downloads.note")));
}

export function caseList(state, onShow) {
  const features = state.areas?.features ?? [];
  return h("section", { "aria-labelledby": "cases-title" },
    h("h2", { id: "cases-title" }, t("atlas.case_list")),
    features.length
      ? h("ol", { class: "case-list", id: "case-list" }, features.map((f) =>
          h("li", { value: f.properties.rank },
            h("button", { type: "button", onclick: () => onShow(f) }, f.properties.name))))
      : h("p", { class: "hint" }, t("atlas.case_none")));
}

/** The analysts' box: sign in, or the restricted layers and the run picker. */
export function analystBox(state, on) {
  if (!state.analyst) {
    return h("section", { "aria-labelledby": "analyst-title" },
      h("h2", { id: "analyst-title" }, t("atlas.analyst")),
      h("p", { class: "hint" }, t("atlas.analyst.intro")),
      state.analystMessage ? h("p", { class: "status-banner warning", role: "alert" }, state.analystMessage) : null,
      h("form", { id: "sign-in", onsubmit: (e) => { e.preventDefault(); on.signIn(e.target.elements.token.value); } },
        h("div", { class: "control" },
          h("label", { for: "token" }, t("atlas.analyst.token")),
          h("input", { type: "password", id: "token", name: "token", autocomplete: "off", required: true })),
        h("button", { type: "submit", class: "btn btn-primary btn-sm" }, t("atlas.analyst.sign_in"))));
  }
  const a = state.analystLayers;
  const check = (key) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: `layer-${key}`, checked: a[key], onchange: (e) => on.layer(key, e.target.checked) }),
    t(`atlas.layer.${key}`));
  const runs = [["published", t("atlas.run.published")],
    ...state.runs.map((r) => [String(r.id), t("atlas.run.item", { id: r.id, date: new Date(r.created_at).toLocaleDateString(), published: r.published ? t("atlas.run.is_published") : "" })])];
  return h("section", { "aria-labelledby": "analyst-title" },
    h("h2", { id: "analyst-title" }, t("atlas.layers")),
    h("p", { class: "hint" }, t("atlas.analyst.signed_in", { label: state.analyst.label, role: state.analyst.role })),
    h("fieldset", {}, h("legend", { class: "visually-hidden" }, t("atlas.layers")),
      ["informal", "formal", "clusters", "hotspots"].map(check)),
    select("run", t("atlas.run"), runs, state.run, on.run),
    h("button", { type: "button", class: "btn btn-outline-primary btn-sm", onclick: on.signOut }, t("atlas.analyst.sign_out")));
}
