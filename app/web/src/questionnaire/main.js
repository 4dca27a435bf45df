// The questionnaire page: /questionnaire/{survey_code}#token=SECRET.
// State lives in `state`; each screen is drawn from it (views.js, form.js).

import "./style.css";

import { BORDER_TOLERANCE_KM, distanceProblems, kmOutside, problem, schemaProblems } from "./checks.js";
import { emptyRaw, fromDocument, newSubmissionId, parseNumber, toDocument } from "./document.js";
import { dropDraft, loadDraft, newDraft, saveDraft } from "./draft.js";
import { SETTLEMENT_LISTS } from "./fields.js";
import { createForm } from "./form.js";
import { createLocationMap } from "./location-map.js";
import { sendUntilAnswered } from "./sender.js";
import * as views from "./views.js";
import { ApiError, createApi, NetworkError } from "../shared/api.js";
import { announce, h, replaceChildren } from "../shared/dom.js";
import { lang, number, onLangChange, setLang, t } from "../shared/i18n.js";
import { fieldFor, showProblems } from "../shared/problems.js";
import { tab } from "../shared/storage.js";
import { forgetToken, getToken, setToken, takeTokenFromAddress } from "../shared/token.js";

// First of all: the secret leaves the address bar.
takeTokenFromAddress();

const api = createApi(getToken);
const surveyCode = decodeURIComponent(window.location.pathname.split("/").filter(Boolean).pop() ?? "");
const app = document.getElementById("app");
const enc = encodeURIComponent;

const state = {
  view: "loading",
  survey: null,
  me: null,
  comune: null,
  stored: null,
  draft: null,
  reviewDoc: null,
  conflict: null,
  message: null,
  sendStatus: "",
  fresh: false,
};
let formApi = null;
let locationMap = null;
let sending = null; // the AbortController of the send under way
let comuneFeature = null;

const responsePath = () => `/api/v1/surveys/${enc(surveyCode)}/responses/${state.comune.code}`;
const comuneKey = () => `incas.comune.${surveyCode}`;

// --- drawing --------------------------------------------------------------------------------

function header() {
  const actions = document.getElementById("header-actions");
  const other = lang() === "it" ? "en" : "it";
  const toggle = h("button", { type: "button", class: "btn btn-sm btn-outline-light", lang: other, onclick: () => setLang(other) },
    other === "en" ? "English" : "Italiano");
  const buttons = [toggle];
  if (state.comune && state.me?.comuni.length > 1 && !["sending", "loading"].includes(state.view)) {
    buttons.push(h("button", { type: "button", class: "btn btn-sm btn-outline-light", onclick: changeComune }, t("header.change_comune")));
  }
  if (getToken()) buttons.push(h("button", { type: "button", class: "btn btn-sm btn-outline-light", onclick: signOut }, t("header.sign_out")));
  replaceChildren(actions, buttons);
  document.getElementById("brand").textContent = state.survey ? `${t("brand")} · ${state.survey.title}` : t("brand");
  document.title = [t("title"), state.comune?.name, state.survey?.title].filter(Boolean).join(" · ");
  document.querySelector(".skip-link").textContent = t("skip");
}

function render({ focus = true } = {}) {
  header();
  const v = {
    loading: () => h("p", { role: "status" }, t("loading")),
    token: () => views.tokenView({ message: state.message, onToken: signIn }),
    message: () => views.messageView(state.message),
    pick: () => views.comunePickerView({ comuni: state.me.comuni, onPick: chooseComune }),
    form: formView,
    review: () => views.reviewView({ doc: state.reviewDoc, mode: state.draft.mode, onEdit: backToForm, onSend: send, onBack: () => backToForm() }),
    sending: () => views.sendingView({ status: state.sendStatus, onCancel: cancelSending }),
    receipt: () => views.receiptView({ stored: state.stored, fresh: state.fresh, canCorrect: state.survey.is_open, onCorrect: startCorrection }),
    conflict: () => views.conflictView({ ...state.conflict, onMine: keepMine, onTheirs: keepTheirs }),
    closed: () => views.closedView({ survey: state.survey, stored: state.stored, hasDraft: Boolean(state.draft) }),
  }[state.view];
  replaceChildren(app, v());
  if (focus) app.querySelector("h1")?.focus();
}

function show(view, changes = {}) {
  Object.assign(state, changes, { view });
  render();
}

onLangChange(() => {
  const active = document.activeElement?.closest("header") ? "header" : null;
  render({ focus: false });
  if (state.view === "form" && state.problems?.length) showFormProblems(state.problems);
  if (active) document.querySelector("#header-actions button")?.focus();
});

// --- who is answering -----------------------------------------------------------------------

function signIn(token) {
  setToken(token);
  identify();
}

function signOut() {
  sending?.abort();
  forgetToken();
  tab.set(comuneKey(), null);
  Object.assign(state, { me: null, comune: null, stored: null, draft: null });
  show("token", { message: t("token.signed_out") });
}

function failure(error, retry) {
  if (error instanceof NetworkError) {
    return show("message", { message: { title: t("offline.title"), text: t("offline.text"), actions: [[t("offline.retry"), retry]] } });
  }
  if (error instanceof ApiError && error.status === 401) {
    forgetToken();
    return show("token", { message: t("token.invalid") });
  }
  return show("message", { message: { title: t("error.title"), text: error.message, kind: "danger", actions: [[t("offline.retry"), retry]] } });
}

async function identify() {
  if (!getToken()) return show("token", { message: null });
  show("loading");
  let survey;
  let me;
  try {
    [survey, me] = await Promise.all([
      api.get(`/api/v1/surveys/${enc(surveyCode)}`),
      api.get(`/api/v1/me?survey=${enc(surveyCode)}`),
    ]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return show("message", { message: { title: t("survey.not_found_title"), text: t("survey.not_found", { code: surveyCode }), kind: "danger" } });
    }
    return failure(error, identify);
  }
  Object.assign(state, { survey: survey.data, me: me.data });
  if (me.data.role !== "respondent") {
    return show("message", { message: { title: t("role.title"), text: t("role.text", { role: me.data.role }), actions: [[t("header.sign_out"), signOut]] } });
  }
  if (me.data.survey && me.data.survey !== survey.data.code) {
    return show("message", { message: { title: t("wave.title"), text: t("wave.text", { theirs: me.data.survey, here: survey.data.code }), kind: "danger" } });
  }
  const remembered = me.data.comuni.find((c) => c.code === tab.get(comuneKey()));
  if (me.data.comuni.length === 1 || remembered) return chooseComune(remembered ?? me.data.comuni[0]);
  return show("pick");
}

function changeComune() {
  sending?.abort();
  tab.set(comuneKey(), null);
  Object.assign(state, { comune: null, stored: null, draft: null });
  show("pick");
}

async function chooseComune(comune) {
  tab.set(comuneKey(), comune.code);
  Object.assign(state, { comune, stored: null, draft: null, problems: [] });
  comuneFeature = null;
  locationMap = createLocationMap({
    vintage: state.survey.vintage,
    comune: loadComune,
    pins: placedSettlements,
    onPick: (item, point) => formApi?.setPoint(item, point),
  });
  show("loading");
  try {
    state.stored = (await api.get(responsePath())).data;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) state.stored = null;
    else if (error instanceof NetworkError && loadDraft(surveyCode, comune.code)) state.stored = null; // go on with the draft
    else return failure(error, () => chooseComune(comune));
  }
  const draft = loadDraft(surveyCode, comune.code);
  state.draft = draft;
  if (draft?.outbox) return deliver(draft.outbox);
  if (!state.survey.is_open) return show("closed");
  if (draft && draft.mode === "create" && state.stored) {
    if (state.stored.submission_id === draft.submissionId) return finished(state.stored, false); // ours, stored earlier
    return show("conflict", { conflict: { theirs: state.stored, mine: documentOf(draft), reason: "exists" } });
  }
  if (draft) {
    announce(t("draft.restored"));
    return show("form");
  }
  if (state.stored) return show("receipt", { fresh: false });
  state.draft = newDraft(emptyRaw());
  return show("form");
}

/** The comune's boundary, fetched once (the map and the distance check both need it). */
function loadComune() {
  comuneFeature ??= api
    .get(`/api/v1/comuni/${state.comune.code}?geometry=true&vintage=${state.survey.vintage}`)
    .then((r) => r.data)
    .catch((error) => {
      comuneFeature = null;
      throw error;
    });
  return comuneFeature;
}

// --- the form -------------------------------------------------------------------------------

function documentOf(draft) {
  return toDocument(draft.raw, { submissionId: draft.submissionId, comuneCode: state.comune.code });
}

function placedSettlements() {
  return SETTLEMENT_LISTS.flatMap((list) =>
    (state.draft?.raw[list] ?? []).map((item, i) => ({
      path: `${list}[${i}]`,
      coordinates: item.location?.type === "Point" ? item.location.coordinates.map((c) => parseNumber(c, false)) : [],
    })),
  );
}

function formView() {
  const draft = state.draft;
  formApi = createForm({
    raw: draft.raw,
    map: locationMap,
    submitLabel: t("form.check"),
    changed: saveAsTyped,
    locationChanged,
    onSubmit: check,
  });
  const updating = draft.mode === "update";
  const nodes = [
    h("h1", { class: "h2", tabindex: "-1" }, t(updating ? "form.title_update" : "form.title", { comune: state.comune.name ?? state.comune.code })),
    h("p", { class: "lead" }, t("form.intro", { survey: state.survey.title, closes: new Date(state.survey.closes_at).toLocaleDateString(lang()) })),
    updating ? h("p", { class: "status-banner" }, t("form.updating", { revision: draft.baseRevision })) : null,
    h("p", { class: "small text-muted", id: "draft-status" }, draft.savedAt ? t("draft.saved_at", { time: new Date(draft.savedAt).toLocaleTimeString(lang(), { hour: "2-digit", minute: "2-digit" }) }) : t("draft.explain")),
    formApi.form,
  ];
  // The map, if it was open, follows its settlement into the redrawn form.
  queueMicrotask(() => locationMap.reattach((path) => formApi.form.querySelector(`[data-map-for="${CSS.escape(path)}"]`)));
  return nodes;
}

function saveAsTyped() {
  const ok = saveDraft(surveyCode, state.comune.code, state.draft);
  state.draft.savedAt = new Date().toISOString();
  const status = document.getElementById("draft-status");
  if (status) {
    status.textContent = ok
      ? t("draft.saved_at", { time: new Date().toLocaleTimeString(lang(), { hour: "2-digit", minute: "2-digit" }) })
      : t("draft.not_saved");
  }
}

async function locationChanged(item) {
  locationMap.update();
  const loc = state.draft.raw[item.split("[")[0]]?.[Number(item.match(/\[(\d+)\]/)[1])]?.location;
  const point = loc?.type === "Point" ? loc.coordinates.map((c) => parseNumber(c, false)) : [];
  if (point.length !== 2 || !point.every((c) => typeof c === "number")) return formApi.warnLocation(item, null);
  try {
    const comune = await loadComune();
    const km = kmOutside(point, comune);
    formApi.warnLocation(item, km > BORDER_TOLERANCE_KM ? t("error.outside", { km: number(km, 1), comune: comune.properties.name }) : null);
  } catch {
    formApi.warnLocation(item, null); // offline: the server checks it when the answer is sent
  }
}

function showFormProblems(problems) {
  state.problems = problems;
  showProblems(formApi.form, formApi.summary, problems, { title: t("errors.title"), errorPrefix: t("errors.prefix") });
}

async function check() {
  const doc = documentOf(state.draft);
  const problems = schemaProblems(doc);
  try {
    const near = new Set(problems.map((p) => p.path));
    problems.push(...distanceProblems(doc, await loadComune()).filter((p) => !near.has(p.path)));
  } catch {
    // offline: the server checks the distances when the answer is sent
  }
  if (problems.length) {
    showFormProblems(problems);
    return;
  }
  state.problems = [];
  show("review", { reviewDoc: doc });
}

function backToForm(path = null) {
  show("form");
  if (path) {
    const el = fieldFor(formApi.form, path);
    const target = el?.matches("input, select, textarea") ? el : el?.querySelector("input, select, textarea");
    target?.focus();
    target?.scrollIntoView({ block: "center" });
  }
}

function startCorrection() {
  state.draft = newDraft(fromDocument(state.stored.document), state.stored);
  saveDraft(surveyCode, state.comune.code, state.draft);
  show("form");
}

// --- sending --------------------------------------------------------------------------------

function send() {
  const document = documentOf(state.draft);
  const job = state.draft.mode === "update"
    ? { method: "PUT", path: responsePath(), document, ifMatch: state.draft.baseEtag }
    : { method: "POST", path: `/api/v1/surveys/${enc(surveyCode)}/responses`, document };
  state.draft.outbox = { ...job, queuedAt: new Date().toISOString() };
  saveDraft(surveyCode, state.comune.code, state.draft);
  return deliver(state.draft.outbox);
}

function setSendStatus(text) {
  state.sendStatus = text;
  const el = document.getElementById("send-status");
  if (el) el.textContent = text;
}

async function deliver(job) {
  sending = new AbortController();
  show("sending", { sendStatus: t("send.sending") });
  try {
    const answer = await sendUntilAnswered(api, job, {
      signal: sending.signal,
      onWait: ({ attempt, seconds, offline }) =>
        setSendStatus(t(offline ? "send.offline" : "send.server_busy", { attempt, seconds })),
    });
    finished(answer.data, true);
  } catch (error) {
    if (sending.signal.aborted) return;
    await refused(job, error);
  } finally {
    sending = null;
  }
}

function finished(stored, fresh) {
  dropDraft(surveyCode, state.comune.code);
  state.draft = null;
  show("receipt", { stored, fresh });
  announce(fresh ? t("receipt.announce", { revision: stored.revision }) : t("receipt.title_existing"));
}

function cancelSending() {
  sending?.abort();
  state.draft.outbox = null;
  saveDraft(surveyCode, state.comune.code, state.draft);
  show("form");
}

const canonical = (value) =>
  JSON.stringify(value, (_, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));

/** The server said no: show why, next to the fields where it can. */
async function refused(job, error) {
  state.draft.outbox = null;
  saveDraft(surveyCode, state.comune.code, state.draft);
  const conflict = (job.method === "PUT" && error.status === 412) || ["response_exists", "submission_conflict"].includes(error.code);
  if (conflict) {
    let current;
    try {
      current = (await api.get(responsePath())).data;
    } catch (e) {
      return failure(e, () => refused(job, error));
    }
    // A correction whose answer was lost: the stored revision is the one we sent.
    if (canonical(current.document) === canonical(job.document)) return finished(current, true);
    return show("conflict", { conflict: { theirs: current, mine: job.document, reason: job.method === "PUT" ? "changed" : "exists" } });
  }
  if (error.code === "survey_closed") {
    state.survey = { ...state.survey, is_open: false };
    return show("closed");
  }
  if (error.status === 401) {
    forgetToken();
    return show("token", { message: t("token.invalid") });
  }
  show("form");
  const problems = error.status === 422 && error.details.length
    ? error.details.map((d) => problem(d.path, d.message))
    : [{ path: "", message: t("send.refused", { status: error.status, message: error.message }) }];
  showFormProblems(problems);
}

function keepMine() {
  const { theirs } = state.conflict;
  // Send what the user wrote as a correction of the version now stored.
  state.draft = { ...(state.draft ?? newDraft(fromDocument(state.conflict.mine))), raw: fromDocument(state.conflict.mine), mode: "update", baseEtag: theirs.etag, baseRevision: theirs.revision, submissionId: newSubmissionId() };
  state.conflict = null;
  saveDraft(surveyCode, state.comune.code, state.draft);
  send();
}

function keepTheirs() {
  const { theirs } = state.conflict;
  state.conflict = null;
  state.stored = theirs;
  finished(theirs, false);
}

// --- start ----------------------------------------------------------------------------------

document.documentElement.lang = lang();
document.documentElement.dataset.page = "questionnaire";
identify().finally(() => {
  // What tests and bench/web_pages.py wait for: the first screen is drawn and usable.
  document.documentElement.dataset.ready = "true";
  performance.mark("incas:ready");
});
