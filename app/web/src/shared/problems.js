// Problems next to their fields, and a summary at the top that links to each one
// (the GOV.UK Design System's error pattern). A problem is {path, message, summary?}: the
// message goes beside the field, the summary (naming the field) at the top. The field is the
// element named by the path, or by the nearest path above it.

import { h, idFor } from "./dom.js";
import { parentPath } from "./paths.js";

function find(form, path) {
  // A group (radios, checkboxes, a location) names its path on its fieldset.
  const group = form.querySelector(`[data-path="${CSS.escape(path)}"]`);
  return group || form.querySelector(`[name="${CSS.escape(path)}"]`);
}

/** The element that shows a path's value, or the closest one above it; null if none. */
export function fieldFor(form, path) {
  for (let p = path; p; p = parentPath(p)) {
    const el = find(form, p);
    if (el) return el;
  }
  return null;
}

/** Remove every shown problem (summary and fields). */
export function clearProblems(form, summaryHost) {
  summaryHost.replaceChildren();
  for (const el of form.querySelectorAll(".field-error")) el.remove();
  for (const el of form.querySelectorAll(".has-error")) el.classList.remove("has-error");
  for (const el of form.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    const describedBy = (el.getAttribute("aria-describedby") || "")
      .split(" ")
      .filter((id) => id && !id.startsWith("err-"));
    if (describedBy.length) el.setAttribute("aria-describedby", describedBy.join(" "));
    else el.removeAttribute("aria-describedby");
  }
}

/** Show one problem beside its field; return the element a summary link should focus. */
export function markField(form, problem, errorPrefix) {
  const el = fieldFor(form, problem.path);
  if (!el) return null;
  const group = el.closest("[data-field]") || el.parentElement;
  group.classList.add("has-error");
  const errorId = `err-${idFor(problem.path)}`;
  if (!document.getElementById(errorId)) {
    const text = problem.message.charAt(0).toUpperCase() + problem.message.slice(1);
    const message = h("p", { class: "field-error", id: errorId },
      h("span", { class: "visually-hidden" }, `${errorPrefix} `), text);
    // Below the label and its hint, right above the input (GOV.UK's order).
    const anchor = group.querySelector(":scope > .field-hint") || group.querySelector(":scope > label, :scope > legend");
    if (anchor) anchor.after(message);
    else group.prepend(message);
  }
  const inputs = el.matches("input, select, textarea")
    ? [el]
    : [...el.querySelectorAll("input:not([type=hidden]), select, textarea")];
  for (const input of inputs) {
    input.setAttribute("aria-invalid", "true");
    const ids = new Set((input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean));
    ids.add(errorId);
    input.setAttribute("aria-describedby", [...ids].join(" "));
  }
  return inputs[0] || el;
}

/**
 * Show problems beside their fields and in a summary at the top, then move focus to the
 * summary, which screen readers then read (role=alert).
 */
export function showProblems(form, summaryHost, problems, { title, errorPrefix }) {
  clearProblems(form, summaryHost);
  const items = problems.map((problem) => {
    const target = markField(form, problem, errorPrefix);
    const text = problem.summary ?? problem.message;
    if (!target) return h("li", {}, problem.path && !problem.summary ? `${problem.path}: ${text}` : text);
    if (!target.id) target.id = idFor(problem.path);
    const link = h("a", { href: `#${target.id}` }, text);
    link.addEventListener("click", (event) => {
      event.preventDefault();
      target.focus();
      target.scrollIntoView({ block: "center" });
    });
    return h("li", {}, link);
  });
  const summary = h("div", { class: "error-summary", role: "alert", tabindex: "-1", "aria-labelledby": "error-summary-title" },
    h("h2", { id: "error-summary-title", class: "h4" }, title),
    h("ul", {}, items));
  summaryHost.replaceChildren(summary);
  summary.focus();
  return summary;
}
