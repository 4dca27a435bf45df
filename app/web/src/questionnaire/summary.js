// A document as a summary list: "check your answers" before sending, the receipt after it,
// and the two versions side by side when a correction meets someone else's.

import { labelOf, objectKeys, optionLabel, SECTIONS } from "./fields.js";
import { h, idFor } from "../shared/dom.js";
import { countryName, monthName, number, t } from "../shared/i18n.js";
import { getIn } from "../shared/paths.js";

function show(kind, path, value) {
  if (value === undefined || value === null || value === "") return null;
  switch (kind) {
    case "number":
      return typeof value === "number" ? number(value, 3) : String(value);
    case "percent":
      return typeof value === "number" ? `${number(value * 100, 2)} %` : String(value);
    case "yesno":
    case "tristate":
      return value ? t("form.yes") : t("form.no");
    case "select":
      return optionLabel(path, value);
    case "months":
      return value.length ? value.map(monthName).join(", ") : null;
    case "countries":
      return value.length ? value.map(countryName).join(", ") : null;
    case "location":
      if (value.type !== "Point") return t("summary.area");
      return t("summary.point", { lon: value.coordinates[0], lat: value.coordinates[1] });
    default:
      return String(value);
  }
}

function rowsOf(def, path, value) {
  if (def.kind === "services") {
    return objectKeys(path)
      .map((key) => ({ path: `${path}.${key}`, label: labelOf(`${path}.${key}`), value: show("tristate", "", value?.[key]) }))
      .filter((r) => r.value !== null);
  }
  const shown = show(def.kind, path, value);
  return shown === null ? [] : [{ path, label: labelOf(path), value: shown }];
}

/** The answers of a document, grouped: [{title, rows: [{path, label, value}]}]. */
export function answerGroups(doc) {
  const groups = [];
  const present = doc.workers_present === true;
  for (const section of SECTIONS) {
    if (section.onlyWithWorkers && !present) continue;
    if (section.list) {
      const items = doc[section.list] ?? [];
      if (!items.length) groups.push({ id: section.id, title: t(`section.${section.id}.title`), rows: [], empty: t(`section.${section.id}.none`) });
      items.forEach((item, i) => {
        const prefix = `${section.list}[${i}]`;
        const rows = section.item.flatMap((def) => rowsOf(def, `${prefix}.${def.key}`, item[def.key]));
        groups.push({ id: section.id, title: t(`section.${section.id}.item`, { n: i + 1 }), rows });
      });
    } else {
      const rows = section.fields.flatMap((def) => rowsOf(def, def.key, getIn(doc, def.key)));
      groups.push({ id: section.id, title: t(`section.${section.id}.title`), rows, empty: t("summary.nothing") });
    }
  }
  return groups;
}

/**
 * Render a document's answers. With `onEdit`, each row links back to its field; with
 * `other`, rows whose value differs from the other version are marked.
 */
export function renderSummary(doc, { onEdit = null, other = null, headingLevel = "h3" } = {}) {
  const otherValues = other ? new Map(answerGroups(other).flatMap((g) => g.rows.map((r) => [r.path, r.value]))) : null;
  const seen = new Set();
  const blocks = answerGroups(doc).map((group) => {
    const rows = group.rows.map((row) => {
      seen.add(row.path);
      const changed = otherValues && otherValues.get(row.path) !== row.value;
      return h("div", { class: `row-item${changed ? " changed" : ""}` },
        h("dt", {}, row.label, changed ? h("span", { class: "visually-hidden" }, ` (${t("summary.changed")})`) : null),
        h("dd", {}, row.value),
        onEdit
          ? h("dd", { class: "edit" },
              h("a", { href: `#${idFor(row.path)}`, onclick: (e) => { e.preventDefault(); onEdit(row.path); } },
                t("summary.edit"), h("span", { class: "visually-hidden" }, ` ${row.label}`)))
          : null);
    });
    return [
      h(headingLevel, { class: "h5 mt-3" }, group.title),
      rows.length ? h("dl", { class: "summary-list" }, rows) : h("p", { class: "text-muted" }, group.empty ?? t("summary.nothing")),
    ];
  });
  if (otherValues) {
    const missing = [...otherValues.keys()].filter((p) => !seen.has(p));
    if (missing.length) blocks.push(h("p", { class: "small" }, t("summary.missing_here", { n: missing.length })));
  }
  return h("div", { class: "answers" }, blocks);
}
