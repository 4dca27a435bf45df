// The form's raw values (what was typed, as strings) to the response document, and back.
// The raw values have the document's shape; the same raw values always give the same
// document, so a re-sent submission is identical to the first one.

import { enumValues, isInteger, objectKeys, SECTIONS } from "./fields.js";
import { getIn, setIn } from "../shared/paths.js";

const INTEGER = /^\d+$/;
// Italians group thousands with dots or spaces: "2.500" workers are two thousand five hundred.
const GROUPED = /^\d{1,3}([.\s'’]\d{3})+$/;
const DECIMAL = /^-?\d+([.,]\d+)?$/;

/** A typed number as a JSON number, or the text as typed (which validation then names). */
export function parseNumber(text, integer) {
  const s = String(text ?? "").trim();
  if (s === "") return undefined;
  if (integer) {
    if (INTEGER.test(s)) return Number(s);
    if (GROUPED.test(s)) return Number(s.replace(/[.\s'’]/g, ""));
    return s;
  }
  return DECIMAL.test(s) ? Number(s.replace(",", ".")) : s;
}

function parsePercent(text) {
  const value = parseNumber(text, false);
  if (typeof value !== "number") return value;
  // Rounded so that 33.3 % is 0.333, not 0.33299999999999996.
  return Math.round(value * 1e8) / 1e10;
}

function parseBoolean(text) {
  if (text === "true" || text === true) return true;
  if (text === "false" || text === false) return false;
  return undefined;
}

function text(value) {
  const s = String(value ?? "").trim();
  return s === "" ? undefined : s;
}

function location(raw) {
  if (!raw) return undefined;
  if (raw.type !== "Point") return raw; // an area sent earlier (a polygon) is kept as it is
  const [lon, lat] = raw.coordinates ?? [];
  const parsed = [parseNumber(lon, false), parseNumber(lat, false)];
  if (parsed.every((v) => v === undefined)) return undefined;
  return { type: "Point", coordinates: parsed.map((v) => (v === undefined ? null : v)) };
}

/** Convert one field's raw value; undefined leaves the key out of the document. */
function convert(def, path, raw) {
  switch (def.kind) {
    case "number":
      return parseNumber(raw, isInteger(path));
    case "percent":
      return parsePercent(raw);
    case "yesno":
    case "tristate":
      return parseBoolean(raw);
    case "months":
      return Array.isArray(raw) && raw.length ? [...raw].map(Number).sort((a, b) => a - b) : undefined;
    case "countries":
      return Array.isArray(raw) && raw.length ? [...raw] : undefined;
    case "select":
      return enumValues(path).includes(raw) ? raw : text(raw);
    case "location":
      return location(raw);
    case "services": {
      const services = {};
      for (const key of objectKeys(path)) {
        const value = parseBoolean(raw?.[key]);
        if (value !== undefined) services[key] = value;
      }
      return Object.keys(services).length ? services : undefined;
    }
    default:
      return text(raw);
  }
}

/** Whether the rest of the questionnaire applies (workers are present). */
export function withWorkers(raw) {
  return raw.workers_present === "true";
}

/** Build the document to send from the raw values. */
export function toDocument(raw, { submissionId, comuneCode }) {
  // The respondent block is always there, so that a missing name is reported at its field.
  const doc = { submission_id: submissionId, comune_code: comuneCode, respondent: {} };
  for (const section of SECTIONS) {
    if (section.onlyWithWorkers && !withWorkers(raw)) continue; // hidden, and not sent
    if (section.list) {
      const items = raw[section.list] ?? [];
      if (!items.length) continue;
      doc[section.list] = items.map((item, i) => {
        const out = {};
        for (const def of section.item) {
          const value = convert(def, `${section.list}[${i}].${def.key}`, item[def.key]);
          if (value !== undefined) out[def.key] = value;
        }
        return out;
      });
    } else {
      for (const def of section.fields) {
        const value = convert(def, def.key, getIn(raw, def.key));
        if (value !== undefined) setIn(doc, def.key, value);
      }
    }
  }
  return doc;
}

const EMPTY = {
  months: () => [],
  countries: () => [],
  services: () => ({}),
  location: () => ({ type: "Point", coordinates: ["", ""] }),
};

function show(def, value) {
  if (value === undefined || value === null) return EMPTY[def.kind]?.() ?? "";
  switch (def.kind) {
    case "percent":
      return typeof value === "number" ? String(Math.round(value * 1e8) / 1e6) : String(value);
    case "yesno":
    case "tristate":
      return String(value);
    case "months":
    case "countries":
      return [...value];
    case "location":
      return value.type === "Point" ? { type: "Point", coordinates: value.coordinates.map((c) => (c === null ? "" : String(c))) } : value;
    case "services":
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === null ? "" : String(v)]));
    default:
      return String(value);
  }
}

/** The raw values that show a stored document in the form. */
export function fromDocument(doc) {
  const raw = {};
  for (const section of SECTIONS) {
    if (section.list) {
      raw[section.list] = (doc[section.list] ?? []).map((item) =>
        Object.fromEntries(section.item.map((def) => [def.key, show(def, item[def.key])])),
      );
    } else {
      for (const def of section.fields) setIn(raw, def.key, show(def, getIn(doc, def.key)));
    }
  }
  return raw;
}

/** The raw values of an empty questionnaire. */
export function emptyRaw() {
  return fromDocument({});
}

/** An empty item of a list, as "add" makes it. */
export function emptyItem(list) {
  const section = SECTIONS.find((s) => s.list === list);
  return Object.fromEntries(section.item.map((def) => [def.key, show(def, undefined)]));
}

/** A version 4 UUID; crypto.randomUUID needs a secure context, an office intranet may lack one. */
export function newSubmissionId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
