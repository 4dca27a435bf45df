"""The presence model on a national wave whose truth is known for every comune."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sqlalchemy import text

from app.census.responses import submit
from app.census.surveys import get_survey
from app.census.tokens import Principal
from app.geo.analysis.nonresponse import presence
from app.geo.analysis.nonresponse.features import (
    FEATURES,
    build_features,
    neighbours_share,
    read_answers,
)
from app.geo.analysis.nonresponse.geography import geography
from app.geo.analysis.nonresponse.presence import estimate, presence_fit, presence_probabilities
from tests.utils.documents import absent, document, open_survey
from tests.utils.truth import DISTRICTS

ADMIN = Principal(None, "admin", "test", frozenset(), None)


@pytest.fixture
def state(truth_session, truth_wave):
    """The wave's survey, geography, answers and features, read once."""
    survey = get_survey(truth_session, truth_wave.code)
    geo = geography(truth_session, survey.vintage)
    answers = read_answers(truth_session, survey, geo)
    return survey, geo, answers, build_features(geo, answers)


def test_the_generator_clusters_presence_and_half_the_comuni_answer(truth_wave):
    truth = truth_wave.truth
    answered = np.mean(list(truth.responds.values()))
    present = np.array([truth.present[c] for c in truth.codes])
    capitanata = [c for c in truth.codes if c.startswith("071")]  # the province of Foggia

    assert 0.45 < answered < 0.55
    assert 0.10 < present.mean() < 0.30
    assert np.mean([truth.present[c] for c in capitanata]) > 3 * present.mean()
    assert {d[1] for d in DISTRICTS} <= set(truth.codes)


def test_the_ranking_finds_the_silent_comuni_with_workers(truth_session, truth_wave, state):
    survey, geo, answers, features = state
    truth = truth_wave.truth
    silent = truth.silent()
    p = presence_probabilities(truth_session, survey)
    fit, _ = presence_fit(truth_session, survey)
    y = [truth.present[c] for c in silent]
    index = geo.index()
    baseline = neighbours_share(features, answers)

    ours = roc_auc_score(y, [p[c] for c in silent])
    oracle = roc_auc_score(y, [truth.probability[c] for c in silent])
    naive = roc_auc_score(y, [baseline[index[c]] for c in silent])
    print(f"\nAUC on the {len(silent)} silent comuni: ours {ours:.4f}, oracle {oracle:.4f}, "
          f"neighbours-only {naive:.4f}; cross-validated {fit.cv_auc:.4f}")  # fmt: skip

    assert set(p) == set(silent)
    assert ours >= 0.80
    assert oracle - ours <= 0.03
    assert ours > naive
    assert fit.cv_auc is not None and fit.cv_auc >= 0.80
    assert fit.cv["blocks"] == "provinces" and len(fit.cv["folds"]) == 5
    assert sum(f["respondents"] for f in fit.cv["folds"]) == fit.respondents


def test_an_own_answer_never_enters_its_own_features(state):
    _, geo, answers, features = state
    index = geo.index()
    # A respondent in the Capitanata that reports workers and informal settlements.
    code = next(c for c in geo.codes[answers.informal_comune] if c.startswith("071"))
    i = index[code]
    present = answers.present.copy()
    present[i] = False
    own = answers.informal_comune == i
    silent_self = dataclasses.replace(
        answers,
        present=present,
        informal_xy=answers.informal_xy[~own],
        informal_comune=answers.informal_comune[~own],
        informal_people=answers.informal_people[~own],
    )

    changed = build_features(geo, silent_self)

    assert np.array_equal(changed.X[i], features.X[i])
    neighbour = geo.bands[10][i].indices[0]
    assert not np.array_equal(changed.X[neighbour], features.X[neighbour])


def test_the_same_data_and_seed_give_the_same_fit(state):
    _, geo, answers, features = state

    a = estimate(geo, answers, features, seed=3)
    b = estimate(geo, answers, features, seed=3)
    c = estimate(geo, answers, features, seed=4)

    assert np.array_equal(a.p, b.p) and a.model == b.model and a.cv == b.cv
    assert np.array_equal(a.p, c.p)  # the seed only shuffles the cross-validation's folds
    assert [f["name"] for f in a.model["features"]] == [f.name for f in FEATURES]


def test_the_fit_is_stored_per_data_state(truth_session, truth_wave):
    survey = get_survey(truth_session, truth_wave.code)
    first, _ = presence_fit(truth_session, survey)
    again, stored = presence_fit(truth_session, survey)
    silent = truth_wave.truth.silent()[0]

    submit(truth_session, survey, ADMIN, absent(silent))
    truth_session.flush()
    after, stored_after = presence_fit(truth_session, survey)

    assert stored and again.id == first.id
    assert not stored_after and after.id != first.id and after.fingerprint != first.fingerprint
    assert after.respondents == first.respondents + 1
    assert silent not in presence_probabilities(truth_session, survey)
    n = truth_session.scalar(
        text("select count(*) from presence_estimates where fit_id = :f"), {"f": after.id}
    )
    assert n == len(truth_wave.truth.codes)


def test_reasons_cite_counts_that_postgis_confirms(truth_session, truth_wave):
    survey = get_survey(truth_session, truth_wave.code)
    fit, _ = presence_fit(truth_session, survey)
    rows = truth_session.execute(
        text(
            "select code, drivers from presence_estimates where fit_id = :f and not responded "
            "order by p_workers_present desc limit 40"
        ),
        {"f": fit.id},
    ).all()
    # Responding comuni within 25 km (centroids in EPSG:3035), and how many report workers.
    counted = {
        code: (n, k)
        for code, n, k in truth_session.execute(
            text(
                "with c as materialized (select code, ST_Centroid(ST_Transform(geom, 3035)) p "
                "from comuni where vintage = 2021) "
                "select a.code, count(*), count(*) filter (where r.workers_present) "
                "from c a join c b on ST_DWithin(a.p, b.p, 25000) and b.code <> a.code "
                "join responses r on r.comune_code = b.code and r.survey_id = :s "
                "where a.code = any(:codes) group by a.code"
            ),
            {"s": survey.id, "codes": [code for code, _ in rows]},
        )
    }
    checked = 0
    for code, drivers in rows:
        assert 1 <= len(drivers) <= 3
        assert all(d["effect"] > 0 for d in drivers)  # the top of the list: facts that raise it
        for d in drivers:
            if d["group"] == "nearby_25km" and d["text"][0].isdigit():
                words = d["text"].split()
                assert (int(words[2]), int(words[0])) == counted[code], d["text"]
                checked += 1
    assert checked >= 5


def test_too_few_answers_fall_back_to_the_region_rate(session):
    survey = open_survey(session, code="few")
    for code in ("071051", "071024"):
        submit(session, survey, ADMIN, document(code))
    submit(session, survey, ADMIN, absent("001001"))
    session.flush()

    fit, _ = presence_fit(session, survey)
    p = presence_probabilities(session, survey)

    assert fit.model["kind"] == "region_rate" and "no regression" in fit.model["reason"]
    assert fit.cv_auc is None and len(p) == 7903 - 3
    # Puglia: 2 of 2 respondents report workers; Piemonte: 0 of 1; elsewhere nobody answered.
    assert p["071020"] == pytest.approx(3 / 4) and p["001002"] == pytest.approx(1 / 3)
    assert p["058091"] == pytest.approx(1 / 2)


def test_only_the_newest_fits_keep_their_estimates(truth_session, truth_wave, monkeypatch):
    monkeypatch.setattr(presence, "ESTIMATES_KEPT", 1)
    survey = get_survey(truth_session, truth_wave.code)
    first, _ = presence_fit(truth_session, survey, seed=0)
    before = presence_probabilities(truth_session, survey, seed=0)

    other, _ = presence_fit(truth_session, survey, seed=1)  # the same data, another seed
    truth_session.refresh(first)
    dropped = truth_session.scalar(
        text("select count(*) from presence_estimates where fit_id = :f"), {"f": first.id}
    )
    stored_at, trace = first.estimates_stored_at, (first.model, first.cv_auc)
    again, stored = presence_fit(truth_session, survey, seed=0)

    assert dropped == 0 and stored_at is None
    assert trace[0]["features"] and trace[1]  # the trace stays
    assert again.id == first.id and not stored
    assert presence_probabilities(truth_session, survey, seed=0) == before
    assert other.id != first.id
