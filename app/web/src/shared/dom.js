// Small DOM helpers: build elements, name their ids after JSON paths, announce changes.

/** Create an element: h("p", {class: "lead"}, "text", child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replace an element's children. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** The id of the input that fills a JSON path: "a.b[0].c" -> "f-a-b-0-c". */
export function idFor(path) {
  return `f-${path.replace(/[^A-Za-z0-9_]+/g, "-").replace(/-+$/, "")}`;
}

/** Say something to screen readers through the page's live regions. */
export function announce(message, { assertive = false } = {}) {
  const region = document.getElementById(assertive ? "live-assertive" : "live-polite");
  if (!region) return;
  // Clearing first makes a repeated message be read again.
  region.textContent = "";
  window.setTimeout(() => {
    region.textContent = message;
  }, 50);
}
