// The respondent's token: taken from the link's fragment (#token=...), kept in sessionStorage
// for this tab only, and removed from the address bar at once.

import { tab } from "./storage.js";

const KEY = "incas.token";

/** Move a token from the address's fragment into sessionStorage; return the current token. */
export function takeTokenFromAddress() {
  const match = window.location.hash.match(/(?:^#|&)token=([^&]+)/);
  if (match) {
    tab.set(KEY, decodeURIComponent(match[1]).trim());
    // The address bar, the history and any bookmark lose the secret.
    const { pathname, search } = window.location;
    window.history.replaceState(window.history.state, "", pathname + search);
  }
  return getToken();
}

export function getToken() {
  return tab.get(KEY);
}

export function setToken(token) {
  tab.set(KEY, token.trim());
}

export function forgetToken() {
  tab.set(KEY, null);
}
