// Colours the atlas draws with: viridis for the classes (colour-blind safe, and readable in
// grey), ColorBrewer Blues for coverage and RdBu for hot spots. "Withheld" and "did not
// answer" are patterns, never colours, so they cannot be read as low values.

// Viridis, from the highest value (dark) to the lowest (light).
const VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];

/** k colours, lowest class first (light) to highest (dark). */
export function classColors(k) {
  if (k <= 1) return [VIRIDIS[4]];
  return Array.from({ length: k }, (_, i) => VIRIDIS[Math.round(((k - 1 - i) * (VIRIDIS.length - 1)) / (k - 1))]);
}

export const ZERO = "#dde3ea";
export const LINE = "#8a96a3";
export const OUTLINE = "#30373d";
export const CASE_AREA = "#d1344c";

// Coverage of the residents: below 25%, 25-50%, 50-75%, 75% and more.
export const COVERAGE_BREAKS = [0.25, 0.5, 0.75];
export const COVERAGE = ["#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"];

export const HOTSPOT = {
  hot_99: "#b2182b",
  hot_95: "#ef8a62",
  hot_90: "#fddbc7",
  cold_90: "#d1e5f0",
  cold_95: "#67a9cf",
  cold_99: "#2166ac",
};
export const INFORMAL = "#e66101";
export const FORMAL = "#5e3c99";

/** The patterns, drawn on a canvas here (no sprite to fetch): name -> ImageData. */
export function patternImage(name) {
  const size = 8;
  const canvas = document.createElement("canvas");
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, size, size);
  if (name === "withheld") {
    // Dark diagonal hatching: "there is a value, and it is withheld".
    ctx.strokeStyle = OUTLINE;
    ctx.lineWidth = 1.6;
    ctx.beginPath();
    for (const o of [-size, 0, size]) {
      ctx.moveTo(o, size);
      ctx.lineTo(o + size, 0);
    }
    ctx.stroke();
  } else if (name === "no-answer") {
    // Sparse grey dots: "nobody told us".
    ctx.fillStyle = LINE;
    ctx.beginPath();
    ctx.arc(2, 2, 1.1, 0, 2 * Math.PI);
    ctx.arc(6, 6, 1.1, 0, 2 * Math.PI);
    ctx.fill();
  } else {
    return null;
  }
  return ctx.getImageData(0, 0, size, size);
}
