// The questionnaire as a form. Every input's name is the JSON path of the value it fills
// (exactly as the API's 422 details write it), so that server and page problems find their
// field. Typing updates the raw values in place; only adding or removing a list item
// redraws that list.

import { emptyItem, withWorkers } from "./document.js";
import {
  enumValues,
  fieldsOf,
  hintOf,
  isInteger,
  isRequired,
  kindOf,
  labelOf,
  objectKeys,
  optionLabel,
  SECTIONS,
} from "./fields.js";
import { announce, h, idFor } from "../shared/dom.js";
import { collator, countryName, monthName, t } from "../shared/i18n.js";
import { getIn, joinPath, parentPath, parsePath, setIn } from "../shared/paths.js";

/** The list item a path lies in: "a[0].location.coordinates[1]" -> "a[0]". */
const itemOf = (path) => joinPath(parsePath(path).slice(0, 2));

const MONTHS = Array.from({ length: 12 }, (_, i) => i + 1);

function labelText(path) {
  return isRequired(path) ? labelOf(path) : `${labelOf(path)} ${t("form.optional")}`;
}

function hint(path) {
  const text = hintOf(path);
  return text ? h("p", { class: "field-hint", id: `${idFor(path)}-hint` }, text) : null;
}

function described(path) {
  return hintOf(path) ? `${idFor(path)}-hint` : null;
}

// --- one input per kind ---------------------------------------------------------------------

function textInput(path, kind, value) {
  const id = idFor(path);
  const attrs = {
    id,
    name: path,
    class: "form-control",
    "aria-describedby": described(path),
    autocomplete: kind.autocomplete ?? "off",
  };
  let input;
  if (kind.kind === "textarea") {
    input = h("textarea", { ...attrs, rows: 4 });
    input.value = value ?? "";
  } else {
    const type = { email: "email", tel: "tel" }[kind.kind] ?? "text";
    const numeric = kind.kind === "number" || kind.kind === "percent";
    input = h("input", {
      ...attrs,
      type,
      value: value ?? "",
      spellcheck: kind.kind === "email" || numeric ? "false" : null,
      inputmode: numeric ? (isInteger(path) ? "numeric" : "decimal") : null,
      size: numeric ? 12 : null,
    });
  }
  let control = input;
  if (kind.kind === "percent") {
    control = h("div", { class: "input-group input-narrow" }, input, h("span", { class: "input-group-text", "aria-hidden": "true" }, "%"));
  } else if (kind.kind === "number") {
    input.classList.add("input-narrow");
  }
  return h("div", { class: "form-field", "data-field": "" }, h("label", { for: id, class: "form-label" }, labelText(path)), hint(path), control);
}

function selectInput(path, value) {
  const id = idFor(path);
  const select = h("select", { id, name: path, class: "form-select", "aria-describedby": described(path) },
    h("option", { value: "" }, t("form.choose")),
    enumValues(path).map((v) => h("option", { value: v, selected: v === value }, optionLabel(path, v))));
  return h("div", { class: "form-field", "data-field": "" }, h("label", { for: id, class: "form-label" }, labelText(path)), hint(path), select);
}

function radios(path, value, options, { big = false, plain = false } = {}) {
  const id = idFor(path);
  return h("fieldset", { class: "form-field", "data-field": "", "data-path": path, "aria-describedby": described(path) },
    h("legend", { class: big ? "h4 fw-semibold" : "form-label" }, big || plain ? labelOf(path) : labelText(path)),
    hint(path),
    h("div", { class: "choices" },
      options.map(([v, text], i) =>
        h("div", { class: "form-check form-check-inline" },
          h("input", { type: "radio", name: path, id: `${id}-${i}`, value: v, checked: v === value }),
          h("label", { for: `${id}-${i}` }, text)))));
}

const yesNo = () => [["true", t("form.yes")], ["false", t("form.no")]];
const yesNoUnknown = () => [...yesNo(), ["", t("form.unknown")]];

function months(path, value) {
  const id = idFor(path);
  const chosen = new Set((value ?? []).map(Number));
  return h("fieldset", { class: "form-field", "data-field": "", "data-path": path, "aria-describedby": described(path) },
    h("legend", { class: "form-label" }, labelText(path)),
    hint(path),
    h("div", { class: "months" },
      MONTHS.map((m) =>
        h("div", { class: "form-check" },
          h("input", { type: "checkbox", name: path, id: `${id}-${m}`, value: m, checked: chosen.has(m) }),
          h("label", { for: `${id}-${m}` }, monthName(m))))));
}

function countries(path, value) {
  const id = idFor(path);
  const chosen = value ?? [];
  const order = collator();
  const codes = [...enumValues(path)].sort((a, b) => order.compare(countryName(a), countryName(b)));
  const list = h("div", { class: "country-list", id: `${id}-list` },
    codes.map((code) =>
      h("div", { class: "form-check", dataset: { name: normalise(`${countryName(code)} ${code}`) } },
        h("input", { type: "checkbox", name: path, id: `${id}-${code}`, value: code, checked: chosen.includes(code) }),
        h("label", { for: `${id}-${code}` }, countryName(code)))));
  const count = h("p", { class: "small mb-1", id: `${id}-count`, "aria-live": "polite" });
  const search = h("input", { type: "search", id: `${id}-search`, class: "form-control", autocomplete: "off", "aria-controls": `${id}-list`, "aria-describedby": `${id}-count` });
  // Enter picks the first country listed, rather than sending the whole form.
  search.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    const first = [...list.children].find((item) => !item.hidden)?.querySelector("input");
    if (first && !first.checked) {
      first.checked = true;
      first.dispatchEvent(new Event("change", { bubbles: true }));
      announce(t("form.country_added", { country: first.labels[0].textContent }));
    }
  });
  search.addEventListener("input", () => {
    const q = normalise(search.value.trim());
    let shown = 0;
    for (const item of list.children) {
      item.hidden = q !== "" && !item.dataset.name.includes(q);
      if (!item.hidden) shown += 1;
    }
    count.textContent = q ? t("form.countries_found", { n: shown }) : "";
  });
  return h("fieldset", { class: "form-field", "data-field": "", "data-path": path, "aria-describedby": described(path) },
    h("legend", { class: "form-label" }, labelText(path)),
    hint(path),
    h("div", { class: "chosen", id: `${id}-chosen` }, chosenChips(path, chosen)),
    h("label", { for: `${id}-search`, class: "form-label mt-2" }, t("form.country_search")),
    search,
    count,
    list);
}

function normalise(text) {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

function chosenChips(path, chosen) {
  if (!chosen.length) return h("p", { class: "small text-muted mb-0" }, t("form.countries_none"));
  return h("ul", { class: "chips", "aria-label": t("form.countries_chosen") },
    chosen.map((code) =>
      h("li", {},
        h("button", { type: "button", class: "country-chip", dataset: { uncheck: `${idFor(path)}-${code}` } },
          countryName(code), h("span", { "aria-hidden": "true" }, " ×"),
          h("span", { class: "visually-hidden" }, ` (${t("form.remove")})`)))));
}

function location(path, value, ctx) {
  const id = idFor(path);
  const area = value && value.type && value.type !== "Point";
  const coords = !area && value?.coordinates ? value.coordinates : ["", ""];
  const coordinate = (i, key) => {
    const name = `${path}.coordinates[${i}]`;
    return h("div", { class: "form-field" },
      h("label", { for: idFor(name), class: "form-label" }, t(key)),
      h("input", { id: idFor(name), name, type: "text", inputmode: "decimal", class: "form-control input-narrow", value: coords[i] ?? "", autocomplete: "off", spellcheck: "false" }));
  };
  const slot = h("div", { class: "map-slot", id: `${id}-map`, dataset: { mapFor: path } });
  const toggle = h("button", { type: "button", class: "btn btn-outline-primary btn-sm", "aria-expanded": ctx.map.isOpenFor(path) ? "true" : "false", "aria-controls": `${id}-map`, dataset: { mapToggle: path } }, t("form.map_show"));
  return h("fieldset", { class: "form-field location", "data-field": "", "data-path": path, "aria-describedby": `${id}-hint` },
    h("legend", { class: "form-label" }, labelText(path)),
    h("p", { class: "field-hint", id: `${id}-hint` }, t(area ? "form.location_area" : "hint.location")),
    area ? null : h("div", { class: "d-flex flex-wrap gap-3" }, coordinate(0, "form.longitude"), coordinate(1, "form.latitude")),
    h("div", { class: "d-flex flex-wrap gap-2 mb-2" },
      area ? null : toggle,
      h("button", { type: "button", class: "btn btn-outline-secondary btn-sm", dataset: { clearLocation: path } }, t("form.location_clear"))),
    h("p", { class: "location-warning", id: `${id}-warning`, "aria-live": "polite" }),
    slot);
}

function services(path, value) {
  return h("fieldset", { class: "form-field services", "data-path": path },
    h("legend", { class: "form-label" }, labelText(path)),
    hint(path),
    objectKeys(path).map((key) => radios(`${path}.${key}`, value?.[key] ?? "", yesNoUnknown(), { plain: true })));
}

function input(def, raw, ctx) {
  const value = getIn(raw, def.path);
  switch (def.kind) {
    case "select":
      return selectInput(def.path, value);
    case "yesno":
      return radios(def.path, value, yesNo(), { big: true });
    case "tristate":
      return radios(def.path, value ?? "", yesNoUnknown());
    case "months":
      return months(def.path, value);
    case "countries":
      return countries(def.path, value);
    case "location":
      return location(def.path, value, ctx);
    case "services":
      return services(def.path, value);
    default:
      return textInput(def.path, def, value);
  }
}

// --- sections and lists ---------------------------------------------------------------------

function listItems(section, raw, ctx) {
  const items = raw[section.list] ?? [];
  const fields = fieldsOf(section, raw);
  return items.map((_, i) => {
    const prefix = `${section.list}[${i}]`;
    const title = t(`section.${section.id}.item`, { n: i + 1 });
    return h("fieldset", { class: "list-item", "data-path": prefix, dataset: { item: prefix } },
      h("legend", { class: "h5" }, title),
      fields.filter((f) => f.path.startsWith(`${prefix}.`)).map((f) => input(f, raw, ctx)),
      h("button", { type: "button", class: "btn btn-outline-danger btn-sm", dataset: { remove: section.list, index: i } },
        t("form.remove_item", { item: title })));
  });
}

function sectionElement(section, raw, ctx) {
  const body = section.list
    ? [
        h("div", { class: "list-items", dataset: { list: section.list } }, listItems(section, raw, ctx)),
        h("button", { type: "button", class: "btn btn-outline-primary", dataset: { add: section.list } }, t(`section.${section.id}.add`)),
      ]
    : section.fields.map((f) => input({ ...f, path: f.key }, raw, ctx));
  const hidden = section.onlyWithWorkers && !withWorkers(raw);
  return h("section", { class: "form-section", id: `section-${section.id}`, "aria-labelledby": `section-${section.id}-title`, hidden, dataset: { section: section.id } },
    h("h2", { class: "h3", id: `section-${section.id}-title` }, t(`section.${section.id}.title`)),
    h("p", { class: "section-lead" }, t(`section.${section.id}.lead`)),
    body);
}

/**
 * Build the form for the raw values `ctx.raw` (changed in place as the user types).
 * ctx: raw, map (location map controller), changed(path), locationChanged(itemPath),
 * submitLabel, onSubmit().
 */
export function createForm(ctx) {
  const { raw } = ctx;
  const summary = h("div", { class: "summary-host" });
  const form = h("form", { class: "questionnaire", novalidate: true },
    summary,
    SECTIONS.map((s) => sectionElement(s, raw, ctx)),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary btn-lg" }, ctx.submitLabel)));

  function redrawList(list) {
    const section = SECTIONS.find((s) => s.list === list);
    form.querySelector(`[data-list="${list}"]`).replaceChildren(...listItems(section, raw, ctx));
    ctx.map.reattach((path) => form.querySelector(`[data-map-for="${CSS.escape(path)}"]`));
  }

  function edited(el) {
    const path = el.name;
    if (!path) return;
    const kind = kindOf(path);
    let value;
    if (kind === "months") {
      value = [...form.querySelectorAll(`input[name="${CSS.escape(path)}"]:checked`)].map((i) => Number(i.value));
    } else if (kind === "countries") {
      const before = (getIn(raw, path) ?? []).filter((c) => c !== el.value);
      value = el.checked ? [...before, el.value] : before;
      form.querySelector(`#${CSS.escape(idFor(path))}-chosen`).replaceChildren(chosenChips(path, value));
    } else if (el.type === "radio") {
      if (!el.checked) return;
      value = el.value;
    } else {
      value = el.value;
    }
    setIn(raw, path, value);
    if (path === "workers_present") {
      for (const section of form.querySelectorAll("[data-section]")) {
        const def = SECTIONS.find((s) => s.id === section.dataset.section);
        section.hidden = Boolean(def.onlyWithWorkers && !withWorkers(raw));
      }
    }
    if (kind === "location") ctx.locationChanged(itemOf(path));
    ctx.changed(path);
  }

  form.addEventListener("input", (e) => edited(e.target));
  form.addEventListener("change", (e) => edited(e.target));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    ctx.onSubmit();
  });
  form.addEventListener("click", (e) => {
    const button = e.target.closest("button[type=button]");
    if (!button) return;
    const { add, remove, index, uncheck, mapToggle, clearLocation } = button.dataset;
    if (add) {
      raw[add] = [...(raw[add] ?? []), emptyItem(add)];
      redrawList(add);
      const items = form.querySelectorAll(`[data-list="${add}"] > .list-item`);
      const added = items[items.length - 1];
      added.querySelector("input, select, textarea")?.focus();
      announce(t("form.added", { item: added.querySelector("legend").textContent }));
      ctx.changed(add);
    } else if (remove) {
      const title = button.closest(".list-item").querySelector("legend").textContent;
      raw[remove].splice(Number(index), 1);
      ctx.map.forget(remove);
      redrawList(remove);
      form.querySelector(`[data-add="${remove}"]`).focus();
      announce(t("form.removed", { item: title }));
      ctx.changed(remove);
    } else if (uncheck) {
      const box = form.querySelector(`#${CSS.escape(uncheck)}`);
      box.checked = false;
      edited(box);
      form.querySelector(`#${CSS.escape(uncheck.replace(/-[A-Z]{2}$/, "-search"))}`)?.focus();
    } else if (mapToggle) {
      const slot = form.querySelector(`[data-map-for="${CSS.escape(mapToggle)}"]`);
      const opening = !ctx.map.isOpenFor(mapToggle);
      for (const b of form.querySelectorAll("[data-map-toggle]")) {
        b.setAttribute("aria-expanded", "false");
        b.textContent = t("form.map_show");
      }
      if (opening) {
        button.setAttribute("aria-expanded", "true");
        button.textContent = t("form.map_hide");
        ctx.map.open(mapToggle, slot);
      } else ctx.map.close();
    } else if (clearLocation) {
      setIn(raw, clearLocation, { type: "Point", coordinates: ["", ""] });
      const fieldset = button.closest("fieldset");
      const fresh = location(clearLocation, getIn(raw, clearLocation), ctx);
      fieldset.replaceWith(fresh);
      ctx.map.reattach((path) => form.querySelector(`[data-map-for="${CSS.escape(path)}"]`));
      ctx.locationChanged(parentPath(clearLocation));
      ctx.changed(clearLocation);
      fresh.querySelector("input")?.focus();
    }
  });

  /** Put coordinates picked on the map into an item's inputs and raw values. */
  function setPoint(itemPath, [lon, lat]) {
    const path = `${itemPath}.location`;
    setIn(raw, path, { type: "Point", coordinates: [String(lon), String(lat)] });
    for (const [i, v] of [lon, lat].entries()) {
      const el = form.querySelector(`[name="${CSS.escape(`${path}.coordinates[${i}]`)}"]`);
      if (el) el.value = String(v);
    }
    ctx.locationChanged(itemPath);
    ctx.changed(path);
  }

  /** Show (or clear) the distance warning under an item's location. */
  function warnLocation(itemPath, message) {
    const el = form.querySelector(`#${CSS.escape(idFor(`${itemPath}.location`))}-warning`);
    if (el) el.textContent = message ? message.charAt(0).toUpperCase() + message.slice(1) : "";
  }

  return { form, summary, setPoint, warnLocation };
}

