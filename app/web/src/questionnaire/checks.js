// The checks the page makes before sending: the schema's rules (ajv code generated at build
// time from the app's OpenAPI: no eval, no second copy of the rules), and the distance of
// each settlement from its comune, which the server also checks.

import booleanPointInPolygon from "@turf/boolean-point-in-polygon";
import pointToPolygonDistance from "@turf/point-to-polygon-distance";
import validateDocument from "@generated/validate-document.js";

import { fieldName, kindOf, SETTLEMENT_LISTS } from "./fields.js";
import { has, number, t } from "../shared/i18n.js";
import { fromPointer, genericPath } from "../shared/paths.js";

export const BORDER_TOLERANCE_KM = 1;

function pathOf(error) {
  const base = fromPointer(error.instancePath);
  if (error.keyword === "required") {
    const key = error.params.missingProperty;
    return base ? `${base}.${key}` : key;
  }
  return base;
}

function genericMessage(error, path) {
  const kind = kindOf(path);
  if (kind === "percent" && error.keyword !== "required") return t("error.percent");
  if (error.keyword === "type" && error.params.type === "integer") return t("error.integer");
  if (error.keyword === "type" && error.params.type === "number") return t("error.number");
  const key = `error.${error.keyword}`;
  return has(key) ? t(key, error.params) : t("error.invalid");
}

/** A message that says how to fix the value, in the page's language. */
function messageFor(error, path) {
  const specific = `error.${genericPath(path)}.${error.keyword}`;
  return has(specific) ? t(specific, error.params) : genericMessage(error, path);
}

/** A problem: its message beside the field, and with the field's name in the summary. */
export function problem(path, message) {
  const name = fieldName(path);
  return { path, message, summary: name ? `${name}: ${message}` : message };
}

/** The schema's problems with a document: [{path, message}], one per path. */
export function schemaProblems(doc) {
  if (validateDocument(doc)) return [];
  const problems = new Map();
  for (const error of validateDocument.errors) {
    // "or null" alternatives and the anyOf/oneOf wrappers only repeat the real problem.
    if (error.keyword === "anyOf" || error.keyword === "oneOf") continue;
    if (error.keyword === "type" && error.params.type === "null") continue;
    const path = pathOf(error);
    if (!problems.has(path)) problems.set(path, problem(path, messageFor(error, path)));
  }
  return [...problems.values()];
}

/** How far a point lies outside a comune, in km (0 inside). */
export function kmOutside(point, comune) {
  if (booleanPointInPolygon(point, comune)) return 0;
  return Math.abs(pointToPolygonDistance(point, comune, { units: "kilometers" }));
}

/** Settlements placed more than 1 km outside the comune (given as a GeoJSON Feature). */
export function distanceProblems(doc, comune) {
  if (!comune?.geometry) return [];
  const problems = [];
  for (const list of SETTLEMENT_LISTS) {
    (doc[list] ?? []).forEach((item, i) => {
      const loc = item.location;
      if (loc?.type !== "Point" || !loc.coordinates.every((c) => typeof c === "number")) return;
      const km = kmOutside(loc.coordinates, comune);
      if (km > BORDER_TOLERANCE_KM) {
        const message = t("error.outside", { km: number(km, 1), comune: comune.properties?.name ?? "" });
        problems.push(problem(`${list}[${i}].location`, message));
      }
    });
  }
  return problems;
}
