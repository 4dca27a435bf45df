// Send a submission until the server has answered it: a network failure (or a server error)
// is retried with growing pauses, and at once when the browser says it is back online.
// A re-sent POST carries the same submission id, so the server answers 200 with what it
// stored the first time instead of storing it twice.

import { ApiError, NetworkError } from "../shared/api.js";

const FIRST_PAUSE_MS = 1000;
const LONGEST_PAUSE_MS = 30000;

function pause(ms, signal) {
  return new Promise((resolve) => {
    const done = () => {
      window.clearTimeout(timer);
      window.removeEventListener("online", done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = window.setTimeout(done, ms);
    window.addEventListener("online", done);
    signal?.addEventListener("abort", done);
  });
}

const retryable = (error) =>
  error instanceof NetworkError || (error instanceof ApiError && (error.status >= 500 || error.status === 429));

/**
 * Send `job` ({method, path, document, ifMatch}) with `api`; resolve to the server's answer,
 * or reject with the ApiError a retry cannot fix. `onWait({attempt, seconds, offline})` is
 * told before each pause.
 */
export async function sendUntilAnswered(api, job, { onWait, signal } = {}) {
  let wait = FIRST_PAUSE_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const headers = job.ifMatch ? { "If-Match": job.ifMatch } : {};
      return await api.request(job.method, job.path, { body: job.document, headers });
    } catch (error) {
      if (!retryable(error) || signal?.aborted) throw error;
      const jitter = Math.round(wait * 0.2 * Math.random());
      onWait?.({ attempt, seconds: Math.round((wait + jitter) / 1000), offline: error instanceof NetworkError });
      await pause(wait + jitter, signal);
      if (signal?.aborted) throw error;
      wait = Math.min(wait * 2, LONGEST_PAUSE_MS);
    }
  }
}
