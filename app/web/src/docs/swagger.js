// Swagger UI on the app's own OpenAPI document, with nothing fetched from elsewhere: the
// bundle is served from this app (swagger-ui-dist), and the validator badge, which would ask
// validator.swagger.io, is off.

import { appRoot } from "../shared/api.js";

window.SwaggerUIBundle({
  url: `${appRoot()}/openapi.json`,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  validatorUrl: null,
  presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset],
  onComplete: () => {
    document.documentElement.dataset.ready = "true";
  },
});
