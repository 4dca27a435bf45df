// The page's screens other than the form itself: sign-in, comune picker, messages, "check
// your answers", sending, receipt and the choice between two versions. Each returns nodes
// for #app from the state it is given; what happens on a click is the caller's.

import { renderSummary } from "./summary.js";
import { h } from "../shared/dom.js";
import { dateTime, date, t } from "../shared/i18n.js";

const heading = (text) => h("h1", { class: "h2", tabindex: "-1" }, text);
const banner = (kind, ...children) => h("div", { class: `status-banner ${kind}` }, ...children);

export function tokenView({ message, onToken }) {
  const input = h("input", { id: "token", type: "password", class: "form-control", autocomplete: "off", spellcheck: "false", "aria-describedby": "token-hint" });
  const form = h("form", { class: "token-form", novalidate: true },
    h("div", { class: "form-field", "data-field": "" },
      h("label", { for: "token", class: "form-label" }, t("token.label")),
      h("p", { class: "field-hint", id: "token-hint" }, t("token.hint")),
      input),
    h("button", { type: "submit", class: "btn btn-primary" }, t("token.continue")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (input.value.trim()) onToken(input.value.trim());
    else input.focus();
  });
  return [
    heading(t("token.title")),
    h("p", { class: "lead" }, t("token.intro")),
    message ? banner("danger", h("p", { class: "mb-0", role: "alert" }, message)) : null,
    form,
  ];
}

export function messageView({ title, text, kind = "warning", actions = [] }) {
  return [
    heading(title),
    banner(kind, h("p", { class: "mb-0" }, text)),
    h("div", { class: "d-flex gap-2 flex-wrap" },
      actions.map(([label, onClick]) => h("button", { type: "button", class: "btn btn-outline-primary", onclick: onClick }, label))),
  ];
}

export function comunePickerView({ comuni, onPick }) {
  const form = h("form", { novalidate: true },
    h("fieldset", { class: "form-field", "data-field": "" },
      h("legend", { class: "form-label" }, t("pick.legend")),
      comuni.map((c, i) =>
        h("div", { class: "form-check" },
          h("input", { type: "radio", name: "comune", id: `comune-${i}`, value: c.code, checked: i === 0 }),
          h("label", { for: `comune-${i}` }, comuneName(c))))),
    h("button", { type: "submit", class: "btn btn-primary" }, t("pick.continue")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const code = form.querySelector("input[name=comune]:checked")?.value;
    const chosen = comuni.find((c) => c.code === code);
    if (chosen) onPick(chosen);
  });
  return [heading(t("pick.title")), h("p", {}, t("pick.intro")), form];
}

export function comuneName(c) {
  const name = c.name ?? t("pick.unknown_name");
  return `${name}${c.province_acronym ? ` (${c.province_acronym})` : ""} · ${c.code}`;
}

export function reviewView({ doc, mode, onEdit, onSend, onBack }) {
  return [
    heading(t("review.title")),
    h("p", {}, t(mode === "update" ? "review.intro_update" : "review.intro")),
    renderSummary(doc, { onEdit, headingLevel: "h2" }),
    h("p", {}, t("review.declaration")),
    h("div", { class: "d-flex gap-2 flex-wrap" },
      h("button", { type: "button", class: "btn btn-primary btn-lg", onclick: onSend }, t(mode === "update" ? "review.send_update" : "review.send")),
      h("button", { type: "button", class: "btn btn-outline-secondary btn-lg", onclick: onBack }, t("review.back"))),
  ];
}

export function sendingView({ status, onCancel }) {
  return [
    heading(t("send.title")),
    h("div", { class: "status-banner", role: "status", "aria-live": "polite", id: "send-status" }, status),
    h("p", {}, t("send.keep")),
    h("button", { type: "button", class: "btn btn-outline-secondary", onclick: onCancel }, t("send.cancel")),
  ];
}

export function receiptView({ stored, fresh, canCorrect, onCorrect }) {
  return [
    heading(t(fresh ? "receipt.title" : "receipt.title_existing")),
    banner("success",
      h("p", { class: "mb-1 fw-semibold", id: "receipt" }, t("receipt.line", { revision: stored.revision, date: dateTime(stored.updated_at) })),
      h("p", { class: "mb-0 small" }, t("receipt.first", { date: dateTime(stored.created_at) }))),
    fresh ? h("p", {}, t("receipt.next")) : null,
    h("h2", { class: "h4 mt-4" }, t("receipt.stored")),
    renderSummary(stored.document),
    canCorrect ? h("button", { type: "button", class: "btn btn-primary", onclick: onCorrect }, t("receipt.correct")) : null,
  ];
}

export function conflictView({ theirs, mine, reason, onMine, onTheirs }) {
  const column = (title, doc, other, note) =>
    h("section", { class: "col-lg-6", "aria-label": title },
      h("h2", { class: "h4" }, title),
      note ? h("p", { class: "small" }, note) : null,
      renderSummary(doc, { other, headingLevel: "h3" }));
  return [
    heading(t("conflict.title")),
    banner("warning", h("p", { class: "mb-0" }, t(reason === "exists" ? "conflict.exists" : "conflict.changed", { revision: theirs.revision, date: dateTime(theirs.updated_at) }))),
    h("p", {}, t("conflict.help")),
    h("div", { class: "row" },
      column(t("conflict.theirs"), theirs.document, mine, t("conflict.theirs_note", { revision: theirs.revision, date: dateTime(theirs.updated_at) })),
      column(t("conflict.mine"), mine, theirs.document, null)),
    h("div", { class: "d-flex gap-2 flex-wrap" },
      h("button", { type: "button", class: "btn btn-primary", onclick: onMine }, t("conflict.keep_mine")),
      h("button", { type: "button", class: "btn btn-outline-primary", onclick: onTheirs }, t("conflict.keep_theirs"))),
  ];
}

export function closedView({ survey, stored, hasDraft }) {
  const notYet = new Date(survey.opens_at) > new Date();
  return [
    heading(t(notYet ? "closed.title_not_yet" : "closed.title")),
    banner("warning", h("p", { class: "mb-0", id: "closed" },
      t(notYet ? "closed.not_yet" : "closed.text", { opens: date(survey.opens_at), closes: date(survey.closes_at) }))),
    hasDraft ? h("p", {}, t("closed.draft")) : null,
    stored ? [h("h2", { class: "h4 mt-4" }, t("receipt.stored")), renderSummary(stored.document)] : null,
  ];
}
