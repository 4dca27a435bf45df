// The app's REST API, as the pages call it: same origin, Bearer token, one error shape.

/** The request never reached the server, or its answer never came back. */
export class NetworkError extends Error {}

/** The server answered with an error: {error: {code, message, details}}. */
export class ApiError extends Error {
  constructor(status, body, headers) {
    const error = body?.error ?? {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || `http_${status}`;
    this.details = error.details || [];
    this.body = body;
    this.headers = headers;
  }
}

/** The path the app is mounted under ("" at the root), as the page's HTML states it. */
export function appRoot() {
  return document.querySelector('meta[name="incas-root"]')?.getAttribute("content") ?? "";
}

/** Return an absolute URL of the app's for a path ("/tiles/..."). */
export function appUrl(path) {
  return new URL(appRoot() + path, window.location.href).href;
}

/** A client whose token comes from `getToken()` at each call. */
export function createApi(getToken) {
  async function request(method, path, { body, headers = {} } = {}) {
    const sent = { Accept: "application/json", ...headers };
    const token = getToken();
    if (token) sent.Authorization = `Bearer ${token}`;
    if (body !== undefined) sent["Content-Type"] = "application/json";
    let response;
    let text;
    try {
      response = await fetch(appRoot() + path, {
        method,
        headers: sent,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
      text = await response.text();
    } catch (error) {
      throw new NetworkError(error?.message || "network error");
    }
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) throw new ApiError(response.status, data, response.headers);
    return { status: response.status, data, etag: response.headers.get("ETag") };
  }
  return {
    request,
    get: (path, options) => request("GET", path, options),
    post: (path, body, options = {}) => request("POST", path, { ...options, body }),
    put: (path, body, options = {}) => request("PUT", path, { ...options, body }),
  };
}
