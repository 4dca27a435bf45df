// What the form asks, section by section: which path each input fills and how it is asked.
// Types, allowed values and which fields are required come from the schema, not from here;
// labels and hints come from the texts, keyed by the path without indices
// ("label.informal_settlements[].persons_min").

import schema from "@generated/document-schema.js";
import { has, t } from "../shared/i18n.js";
import { genericPath, parsePath } from "../shared/paths.js";
import { resolve, schemaAt } from "../shared/schema.js";

const field = (key, kind, options = {}) => ({ key, kind, ...options });

// kinds: text, email, tel, textarea, number (integer or decimal, as the schema says),
// percent (a share 0-1 asked as 0-100), yesno (a required boolean), tristate (yes, no,
// don't know = absent), select (the schema's enum), months, countries, location, services.
export const SECTIONS = [
  {
    id: "respondent",
    fields: [
      field("respondent.name", "text", { autocomplete: "name" }),
      field("respondent.office", "text", { autocomplete: "organization-title" }),
      field("respondent.email", "email", { autocomplete: "email" }),
      field("respondent.phone", "tel", { autocomplete: "tel" }),
    ],
  },
  { id: "presence", fields: [field("workers_present", "yesno")] },
  {
    id: "workers",
    onlyWithWorkers: true,
    fields: [
      field("workers.stable", "number"),
      field("workers.seasonal", "number"),
      field("workers.seasonal_months", "months"),
      field("workers.nationalities", "countries"),
      field("workers.women_share", "percent"),
    ],
  },
  { id: "housing", onlyWithWorkers: true, fields: [field("private_housing_share", "percent")] },
  {
    id: "formal",
    onlyWithWorkers: true,
    list: "formal_settlements",
    item: [
      field("name", "text"),
      field("type", "select"),
      field("managed_by", "select"),
      field("capacity", "number"),
      field("occupants", "number"),
      field("seasonal", "tristate"),
      field("open_months", "months"),
      field("location", "location"),
      field("services", "services"),
    ],
  },
  {
    id: "informal",
    onlyWithWorkers: true,
    list: "informal_settlements",
    item: [
      field("name", "text"),
      field("type", "select"),
      field("persons_min", "number"),
      field("persons_max", "number"),
      field("peak_months", "months"),
      field("since_year", "number"),
      field("location", "location"),
      field("services", "services"),
      field("distance_to_work_km", "number"),
      field("public_transport", "tristate"),
    ],
  },
  {
    id: "interventions",
    onlyWithWorkers: true,
    list: "interventions",
    item: [field("type", "text"), field("description", "textarea")],
  },
  { id: "notes", fields: [field("notes", "textarea")] },
];

export const LISTS = SECTIONS.filter((s) => s.list).map((s) => s.list);
export const SETTLEMENT_LISTS = ["formal_settlements", "informal_settlements"];

/** The schema of the value at a path ("a[0].b" or "a[].b"). */
export function schemaOf(path) {
  return schemaAt(schema, parsePath(path.replace(/\[\]/g, "[0]")));
}

/** Whether the schema requires the value at a path (its object lists the key as required). */
export function isRequired(path) {
  const parts = parsePath(path.replace(/\[\]/g, "[0]"));
  const parent = schemaAt(schema, parts.slice(0, -1));
  return Boolean(parent?.required?.includes(parts[parts.length - 1]));
}

/** Whether a number at a path must be whole. */
export function isInteger(path) {
  return schemaOf(path)?.type === "integer";
}

/** The values an enum at a path allows, in the schema's order. */
export function enumValues(path) {
  const node = schemaOf(path);
  return node?.enum ?? node?.items?.enum ?? [];
}

/** The keys of an object at a path (a settlement's services). */
export function objectKeys(path) {
  return Object.keys(resolve(schema, schemaOf(path))?.properties ?? {});
}

/** Every field with its full path: the section's own, and each list item's. */
export function fieldsOf(section, raw) {
  if (!section.list) return section.fields.map((f) => ({ ...f, path: f.key }));
  const items = raw[section.list] ?? [];
  return items.flatMap((_, i) => section.item.map((f) => ({ ...f, path: `${section.list}[${i}].${f.key}` })));
}

/** The label of the input for a path. */
export function labelOf(path) {
  return t(`label.${genericPath(path)}`);
}

/** The hint under a label, if the texts have one. */
export function hintOf(path) {
  const key = `hint.${genericPath(path)}`;
  return has(key) ? t(key) : null;
}

/** What one option of an enum is called. */
export function optionLabel(path, value) {
  const key = `option.${genericPath(path)}.${value}`;
  return has(key) ? t(key) : value;
}

/** The kind of input that fills a path, or null: what messages and conversions depend on. */
export function kindOf(path) {
  const generic = genericPath(path);
  for (const section of SECTIONS) {
    const defs = section.list ? section.item.map((f) => ({ ...f, full: `${section.list}[].${f.key}` })) : section.fields.map((f) => ({ ...f, full: f.key }));
    for (const def of defs) {
      if (generic === def.full || generic.startsWith(`${def.full}.`) || generic.startsWith(`${def.full}[`)) {
        if (def.kind === "services") return "tristate";
        return def.kind;
      }
    }
  }
  return null;
}

/** How a field is named in messages: its label, after its list item's title if in a list. */
export function fieldName(path) {
  const generic = genericPath(path);
  if (!has(`label.${generic}`)) return null;
  const match = path.match(/^(\w+)\[(\d+)\]/);
  const section = match && SECTIONS.find((s) => s.list === match[1]);
  const label = labelOf(path);
  return section ? `${t(`section.${section.id}.item`, { n: Number(match[2]) + 1 })} · ${label}` : label;
}
