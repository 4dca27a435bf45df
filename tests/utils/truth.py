"""A synthetic national wave whose truth is known for every comune, answered by about half.

Whether foreign agri-food workers are present in a comune is drawn from a probability the
generator keeps (the oracle). Its log-odds add up:
- a base rate, a little higher in the South and the Islands, and higher in larger comuni;
- a bump around each of the agricultural districts where workers and settlements concentrate
  in reality (the Capitanata around Foggia, the Piana di Gioia Tauro, the Sele plain, the Agro
  Pontino, the Ragusa coast, Saluzzo's orchards and others), falling off with distance;
- smaller bumps around 40 minor districts drawn at random, most of them in the South.
So presence is clustered as in the published first wave, and about one responding comune in six
reports workers.

Whether a comune answers depends on its ripartizione (the North answers more), its size and its
province's zeal, never on the truth itself: non-response is at random given what the model can
see (the README says what happens when it is not). Respondents send valid documents, with
informal settlements mostly in the big districts, formal ones anywhere workers are; their first
submissions spread over ten weeks, in waves after each reminder.

Everything is drawn from one seed; the same seed gives the same wave.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from tests.utils.synthetic import _base, _formal, _informal, _points

# (name, centre comune, log-odds at the centre, spread in km: the standard deviation of the bump)
DISTRICTS = [
    ("Capitanata", "071024", 8.0, 30),  # Foggia
    ("Piana di Gioia Tauro", "080069", 8.0, 18),  # Rosarno
    ("Piana del Sele", "065050", 7.5, 20),  # Eboli
    ("Agro Pontino", "059011", 7.5, 22),  # Latina
    ("Fascia trasformata ragusana", "088012", 8.0, 20),  # Vittoria
    ("Saluzzese", "004203", 7.0, 15),  # Saluzzo
    ("Metapontino", "077021", 7.0, 18),  # Policoro
    ("Litorale domizio", "061027", 7.0, 15),  # Castel Volturno
    ("Piana di Sibari", "078157", 6.5, 18),  # Corigliano-Rossano
    ("Valle del Belice", "081006", 6.5, 15),  # Castelvetrano
    ("Arneo", "075052", 6.0, 15),  # Nardò
    ("Pachino", "089014", 6.5, 12),
    ("Val di Non", "022062", 6.0, 12),  # Cles
    ("Pianura veronese", "023096", 6.0, 15),  # Villafranca di Verona
    ("Langhe e Roero", "005017", 6.0, 15),  # Canelli
    ("Alto Bradano", "076095", 6.5, 18),  # Venosa
]
BASE = -7.0
SIZE = 0.8  # log-odds per standard deviation of log population
RIPARTIZIONE = {1: 0.0, 2: 0.2, 3: 0.1, 4: 0.5, 5: 0.4}
MINOR_DISTRICTS = 40
MINOR_SPREAD_KM = (20, 35)
MINOR_HEIGHT = (3.5, 5.5)
MINOR_WEIGHT = {1: 1.0, 2: 1.0, 3: 1.5, 4: 3.0, 5: 3.0}  # where minor districts are drawn
RESPONSE = {1: 0.15, 2: 0.25, 3: -0.15, 4: -0.45, 5: -0.55}  # log-odds of answering
OPENS = datetime(2024, 3, 4, 9, 0, tzinfo=ZoneInfo("Europe/Rome"))
REMINDERS = (0, 14, 28, 45)  # days after opening; each brings a wave of first submissions


@dataclass(frozen=True)
class NationalTruth:
    """The generator's output: the truth of every comune and what the respondents sent."""

    seed: int
    codes: list[str]
    probability: dict[str, float]  # the oracle: the probability presence was drawn from
    present: dict[str, bool]  # the truth, for every comune
    responds: dict[str, bool]
    documents: list[dict]  # valid documents of the responding comuni
    submitted_at: dict[str, datetime]  # each respondent's first submission

    def silent(self) -> list[str]:
        return [c for c in self.codes if not self.responds[c]]


def national_truth(session: Session, vintage: int = 2021, seed: int = 11) -> NationalTruth:
    """Draw a national wave on a loaded vintage, its truth known for every comune."""
    rows = session.execute(
        text(
            "select code, province_code, ripartizione_code, coalesce(population_2011, 1000), "
            "ST_X(c), ST_Y(c) from (select *, ST_Centroid(ST_Transform(geom, 3035)) c "
            "from comuni where vintage = :v) x order by code"
        ),
        {"v": vintage},
    ).all()
    codes = [r[0] for r in rows]
    index = {c: i for i, c in enumerate(codes)}
    ripartizione = np.array([r[2] for r in rows])
    provinces = np.unique([r[1] for r in rows], return_inverse=True)[1]
    size = np.log(np.array([float(r[3]) for r in rows]))
    size = (size - size.mean()) / size.std()
    xy = np.array([[r[4], r[5]] for r in rows]) / 1000.0  # km
    rng = np.random.default_rng(seed)

    logit = BASE + SIZE * size + np.vectorize(RIPARTIZIONE.get)(ripartizione)
    district = np.zeros(len(codes))  # how deep in a big district each comune lies, 0-1
    for _, centre, height, spread in DISTRICTS:
        bump = np.exp(-0.5 * (np.linalg.norm(xy - xy[index[centre]], axis=1) / spread) ** 2)
        logit += height * bump
        district = np.maximum(district, bump)
    weights = np.vectorize(MINOR_WEIGHT.get)(ripartizione).astype(float)
    for centre in rng.choice(len(codes), MINOR_DISTRICTS, replace=False, p=weights / weights.sum()):
        spread, height = rng.uniform(*MINOR_SPREAD_KM), rng.uniform(*MINOR_HEIGHT)
        logit += height * np.exp(-0.5 * (np.linalg.norm(xy - xy[centre], axis=1) / spread) ** 2)
    probability = 1 / (1 + np.exp(-logit))
    present = rng.random(len(codes)) < probability

    zeal = rng.normal(0, 0.4, provinces.max() + 1)[provinces]
    answer = np.vectorize(RESPONSE.get)(ripartizione) + 0.25 * size + zeal
    responds = rng.random(len(codes)) < 1 / (1 + np.exp(-answer))

    rnd = random.Random(seed)
    respondents = [c for c, r in zip(codes, responds, strict=True) if r]
    informal, formal = {}, {}
    for code in respondents:
        i = index[code]
        if present[i] and rnd.random() < 0.03 + 0.6 * district[i]:
            informal[code] = rnd.choice([1, 2, 3, 4] if district[i] > 0.8 else [1, 1, 2])
        if present[i] and rnd.random() < 0.2:
            formal[code] = rnd.choice([1, 1, 2])
    points = _points(session, vintage, sorted(set(informal) | set(formal)), 8, seed)
    documents, submitted_at = [], {}
    for code in respondents:
        doc = _base(rnd, code, bool(present[index[code]]))
        if code in formal:
            doc["formal_settlements"] = [_formal(rnd, points[code][k]) for k in range(formal[code])]
        if code in informal:
            big = district[index[code]] > 0.8
            doc["informal_settlements"] = [
                _informal(rnd, points[code][-1 - k], big) for k in range(informal[code])
            ]
        documents.append(doc)
        reminder = rnd.choices(REMINDERS, weights=[45, 25, 20, 10])[0]
        day = reminder + min(int(rnd.expovariate(0.35)), 12)
        submitted_at[code] = OPENS + timedelta(days=day, hours=rnd.uniform(0, 8))
    return NationalTruth(
        seed, codes,
        {c: float(p) for c, p in zip(codes, probability, strict=True)},
        {c: bool(p) for c, p in zip(codes, present, strict=True)},
        {c: bool(r) for c, r in zip(codes, responds, strict=True)},
        documents, submitted_at,
    )  # fmt: skip


def open_truth_wave(
    session: Session, code: str = "truth", vintage: int = 2021, seed: int = 11
) -> NationalTruth:
    """Open a wave, import the generator's documents and date their first submissions."""
    from app.census.imports import import_lines
    from app.census.tokens import Principal
    from tests.utils.documents import open_survey

    truth = national_truth(session, vintage, seed)
    survey = open_survey(
        session, code=code, vintage=vintage, opens_at=OPENS,
        closes_at=datetime.now(UTC) + timedelta(days=365),
    )  # fmt: skip
    lines = [(i, json.dumps(doc)) for i, doc in enumerate(truth.documents)]
    result = import_lines(
        session, survey, Principal(None, "admin", "truth", frozenset(), None), lines
    )
    if result.rejected:
        raise RuntimeError(f"truth documents rejected: {result.rejected[:3]}")
    session.execute(
        text(
            "update revisions v set created_at = d.at from responses r, "
            "unnest(cast(:codes as text[]), cast(:ats as timestamptz[])) as d(code, at) "
            "where v.response_id = r.id and r.survey_id = :sid and r.comune_code = d.code"
        ),
        {"codes": list(truth.submitted_at), "ats": list(truth.submitted_at.values()),
         "sid": survey.id},
    )  # fmt: skip
    session.execute(
        text(
            "update responses r set created_at = v.created_at, updated_at = v.created_at "
            "from revisions v where v.response_id = r.id and r.survey_id = :sid"
        ),
        {"sid": survey.id},
    )
    return truth


@dataclass(frozen=True)
class TruthWave:
    """A committed truth wave in its own throwaway database."""

    url: str
    engine: Engine
    code: str
    truth: NationalTruth
