// ReDoc on the app's own OpenAPI document, from the redoc package served by this app; no web
// fonts (the theme falls back to the system's).

import { appRoot } from "../shared/api.js";

const FONTS = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

window.Redoc.init(
  `${appRoot()}/openapi.json`,
  {
    hideDownloadButton: false,
    theme: { typography: { fontFamily: FONTS, headings: { fontFamily: FONTS } } },
  },
  document.getElementById("redoc"),
  () => {
    document.documentElement.dataset.ready = "true";
  },
);
