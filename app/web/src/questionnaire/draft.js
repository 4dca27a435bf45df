// The draft of one comune's response to one wave, in localStorage as the user types: the raw
// values, the submission id it will be sent with, what it corrects, and a queued send.

import { newSubmissionId } from "./document.js";
import { saved } from "../shared/storage.js";

const key = (survey, comune) => `incas.draft.${survey}.${comune}`;

/**
 * A draft: {raw, submissionId, mode: "create" | "update", baseEtag, baseRevision, savedAt,
 * outbox: null | {method, document, ifMatch, queuedAt}}.
 */
export function loadDraft(survey, comune) {
  const draft = saved.get(key(survey, comune));
  return draft && draft.raw && draft.submissionId ? draft : null;
}

/** Save the draft; return whether the browser kept it (a full store says no). */
export function saveDraft(survey, comune, draft) {
  return saved.set(key(survey, comune), { ...draft, savedAt: new Date().toISOString() });
}

export function dropDraft(survey, comune) {
  saved.set(key(survey, comune), null);
}

/** A new draft: a new response, or a correction of the stored one. */
export function newDraft(raw, stored = null) {
  return {
    raw,
    // One id per submission: a re-send of this one is recognised, never stored twice.
    submissionId: newSubmissionId(),
    mode: stored ? "update" : "create",
    baseEtag: stored?.etag ?? null,
    baseRevision: stored?.revision ?? null,
    outbox: null,
  };
}
