// What the atlas reads from the API: waves, class breaks, the regions' figures, coverage and
// case areas. Each call is one public endpoint, or (analysts) one restricted endpoint.

const enc = encodeURIComponent;

/** The indicators the atlas offers, in the order of the picker. */
export const INDICATORS = [
  "informal_persons_mid",
  "informal_settlements",
  "workers_seasonal",
  "workers_stable",
  "workers_present",
  "formal_occupants",
  "formal_capacity",
  "formal_settlements",
  "informal_without_water",
  "informal_without_electricity",
  "informal_without_toilets",
  "informal_active_7y",
  "workers_seasonal_per_1000_residents",
  "workers_stable_per_1000_residents",
  "formal_occupants_per_1000_residents",
  "informal_persons_mid_per_1000_residents",
  "informal_settlements_per_km2",
  "informal_persons_mid_per_km2",
  "response_rate",
];
export const LEVELS = ["region", "province", "comune"];
export const METHODS = ["quantiles", "natural_breaks"];
// Shares and rates get decimals; counts are whole.
export const isShare = (indicator) => indicator === "response_rate";
export const isRate = (indicator) => indicator.includes("_per_");

export function createData(api) {
  const w = (wave) => `/api/v1/surveys/${enc(wave)}`;
  return {
    async waves() {
      return (await api.get("/api/v1/surveys?limit=1000")).data.items;
    },
    async classes(wave, { level, indicator, method, k }) {
      const q = new URLSearchParams({ level, indicator, method, k: String(k) });
      return (await api.get(`${w(wave)}/indicators/classes?${q}`)).data;
    },
    async indicators(wave, level) {
      return (await api.get(`${w(wave)}/indicators?level=${level}&limit=10000`)).data.items;
    },
    async progress(wave, level) {
      return (await api.get(`${w(wave)}/progress?level=${level}`)).data.items;
    },
    /** The published case areas as GeoJSON (none yet: an empty collection). */
    async publishedAreas(wave) {
      try {
        const { areas } = (await api.get(`${w(wave)}/case-areas/published`)).data;
        return collection(areas.map((a) => ({ rank: a.rank, name: a.name, reasons: a.reasons, geometry: a.geometry })));
      } catch (error) {
        if (error.status === 404) return collection([]);
        throw error;
      }
    },
    /** One run's areas (analysts), with the analysts' reasons. */
    async runAreas(wave, id) {
      const run = (await api.get(`${w(wave)}/case-areas/${id}?geometry=true`)).data;
      return collection(run.areas.map((a) => ({ rank: a.rank, name: a.name, reasons: a.reasons, geometry: a.geometry })));
    },
    async runs(wave) {
      return (await api.get(`${w(wave)}/case-areas?limit=1000`)).data.items;
    },
    async me() {
      return (await api.get("/api/v1/me")).data;
    },
  };
}

function collection(areas) {
  return {
    type: "FeatureCollection",
    features: areas.map((a) => ({
      type: "Feature",
      id: a.rank,
      properties: { rank: a.rank, name: a.name, reasons: JSON.stringify(a.reasons) },
      geometry: a.geometry,
    })),
  };
}
