// Texts in Italian (the default) and English: one table per language in src/texts/.
// Country and month names come from the browser's own Intl data, in the same language.

import en from "../texts/en.js";
import it from "../texts/it.js";
import { saved } from "./storage.js";

const TABLES = { it, en };
export const LANGUAGES = ["it", "en"];
const KEY = "incas.lang";
const listeners = new Set();

let current = LANGUAGES.includes(saved.get(KEY)) ? saved.get(KEY) : "it";

export function lang() {
  return current;
}

/** The text under `key` in the current language, with {name} placeholders filled. */
export function t(key, vars = {}) {
  const text = TABLES[current][key] ?? TABLES.it[key];
  if (text === undefined) {
    console.warn(`missing text: ${key}`);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** Whether a text exists (optional hints, per-field messages). */
export function has(key) {
  return key in TABLES[current] || key in TABLES.it;
}

export function setLang(next) {
  if (!LANGUAGES.includes(next) || next === current) return;
  current = next;
  saved.set(KEY, next);
  document.documentElement.lang = next;
  for (const listener of listeners) listener(next);
}

export function onLangChange(listener) {
  listeners.add(listener);
}

/** A country's name from its ISO 3166-1 alpha-2 code. */
export function countryName(code) {
  try {
    return new Intl.DisplayNames([current], { type: "region" }).of(code) || code;
  } catch {
    return code;
  }
}

/** A month's name, 1 = January. */
export function monthName(month) {
  return new Intl.DateTimeFormat(current, { month: "long", timeZone: "UTC" }).format(
    new Date(Date.UTC(2021, month - 1, 15)),
  );
}

/** A date and time, as people read them. */
export function dateTime(iso) {
  return new Intl.DateTimeFormat(current, { dateStyle: "long", timeStyle: "short" }).format(new Date(iso));
}

export function date(iso) {
  return new Intl.DateTimeFormat(current, { dateStyle: "long" }).format(new Date(iso));
}

export function number(value, digits = 2) {
  return new Intl.NumberFormat(current, { maximumFractionDigits: digits }).format(value);
}

/** Compare names the way the language sorts them. */
export function collator() {
  return new Intl.Collator(current, { sensitivity: "base" });
}
