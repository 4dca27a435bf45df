"""The probability that foreign agri-food workers are present in a comune: a model estimate.

A logistic regression (scikit-learn, standardised features, L2 penalty C=1) is fitted on the
respondents of one state of the data, on features that never contain a comune's own answer
(`features`), and applied to every comune. Its quality is measured by a spatially blocked
cross-validation on the respondents: whole provinces are held out (GroupKFold, shuffled by the
seed), so a comune is never predicted by a model that saw its province's answers, and the
out-of-fold predictions of all folds give one AUC.

The fit, its coefficients, the cross-validation and every comune's estimate with the facts
behind it are stored per data fingerprint, seed and method, as the hot spots are: the same data
and seed give the same answer, and a stored fit is read back instead of refitted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    Integer,
    String,
    Text,
    bindparam,
    cast,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.geo.analysis.indicators import data_fingerprint
from app.geo.analysis.nonresponse.explain import GROUPS, drivers
from app.geo.analysis.nonresponse.features import (
    FEATURES,
    SMOOTHING,
    Answers,
    FeatureSet,
    build_features,
    neighbours_share,
    read_answers,
)
from app.geo.analysis.nonresponse.geography import BANDS_KM, Geography, geography
from app.geo.analysis.nonresponse.models import PresenceEstimate, PresenceFit

METHOD = "logistic-v1"
PENALTY_C = 1.0
CV_FOLDS = 5
# Below this many respondents of each answer, no regression is fitted: each comune gets its
# region's rate (leave-one-out), and the model says so.
MIN_PER_CLASS = 10
# Fits of a wave whose per-comune estimates are kept (7,903 rows each); older ones keep only
# their trace. Every write makes a new data state, so a census would otherwise pile up millions.
ESTIMATES_KEPT = 20


@dataclass(frozen=True)
class Estimates:
    """A fitted model and what it says of every comune (in the geography's order)."""

    p: np.ndarray
    contributions: np.ndarray  # log-odds contribution of each GROUPS entry, per comune
    # How each group's facts read, per comune: positive where they are above the average
    # respondent's (more neighbours reporting, a larger comune), weighted by the coefficients'
    # sizes. A fact is put in words only where it acts the way it reads (see explain).
    readings: np.ndarray
    model: dict
    cv_auc: float | None
    cv: dict
    respondents: int
    reporting: int


def _auc(y: np.ndarray, score: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(y)) < 2:
        return None
    return round(float(roc_auc_score(y, score)), 6)


def _pipeline():
    # scikit-learn is imported where used: it takes a second to load, and most commands of
    # the CLI never need it.
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=PENALTY_C, max_iter=5000))


def _cross_validate(
    X: np.ndarray, y: np.ndarray, provinces: np.ndarray, seed: int
) -> dict[str, Any]:
    """Out-of-fold predictions with whole provinces held out; their pooled AUC, and per fold."""
    from sklearn.model_selection import GroupKFold

    n_groups = len(np.unique(provinces))
    if n_groups < 2:
        return {"auc": None, "folds": [], "reason": "fewer than two provinces answered"}
    splitter = GroupKFold(n_splits=min(CV_FOLDS, n_groups), shuffle=True, random_state=seed)
    predicted = np.zeros(len(y))
    folds = []
    for number, (train, test) in enumerate(splitter.split(X, y, provinces), start=1):
        if len(np.unique(y[train])) < 2:
            predicted[test] = y[train].mean()
        else:
            predicted[test] = _pipeline().fit(X[train], y[train]).predict_proba(X[test])[:, 1]
        folds.append({
            "fold": number, "provinces": len(np.unique(provinces[test])),
            "respondents": int(len(test)), "reporting": int(y[test].sum()),
            "auc": _auc(y[test], predicted[test]),
        })  # fmt: skip
    splitter_text = f"GroupKFold(n_splits={len(folds)}, shuffle=True, random_state={seed})"
    return {"auc": _auc(y, predicted), "folds": folds, "blocks": "provinces",
            "splitter": splitter_text}  # fmt: skip


def estimate(geo: Geography, answers: Answers, features: FeatureSet, seed: int) -> Estimates:
    """Fit the model on the respondents and estimate every comune."""
    from threadpoolctl import threadpool_limits

    # A few thousand rows by 16 columns: threads only add overhead (eight times slower on a
    # busy two-core machine) and make the last digits depend on the machine's thread count.
    with threadpool_limits(limits=1):
        return _estimate(geo, answers, features, seed)


def _estimate(geo: Geography, answers: Answers, features: FeatureSet, seed: int) -> Estimates:
    y = answers.present[answers.responded].astype(int)
    X = features.X
    respondents, reporting = int(len(y)), int(y.sum())
    provinces = geo.comuni["province_code"].to_numpy(dtype=str)[answers.responded]
    baseline = _auc(y, neighbours_share(features, answers)[answers.responded])
    if min(reporting, respondents - reporting) < MIN_PER_CLASS:
        # Too few answers of one kind to fit anything: the region's rate, labelled as such.
        facts = features.facts
        prior = (facts["region_reporting"] + 1) / (facts["region_respondents"] + 2)
        reason = (
            f"fewer than {MIN_PER_CLASS} respondents report workers, or fewer than that "
            "report none: no regression is fitted"
        )
        model: dict[str, Any] = {"kind": "region_rate", "reason": reason}
        cv: dict[str, Any] = {"auc": None, "folds": [], "reason": reason, "baseline_auc": baseline}
        contributions = np.zeros((len(prior), len(GROUPS)))
        contributions[:, GROUPS.index("region")] = 1.0  # the only fact behind the estimate
        return Estimates(
            prior, contributions, contributions, model, None, cv, respondents, reporting
        )

    pipeline = _pipeline().fit(X[answers.responded], y)
    scaler, logistic = pipeline[0], pipeline[-1]
    p = pipeline.predict_proba(X)[:, 1]
    z = (X - scaler.mean_) / scaler.scale_
    coefficients = logistic.coef_[0]
    members = [[j for j, f in enumerate(FEATURES) if f.group == g] for g in GROUPS]
    contributions = np.column_stack([(z * coefficients)[:, js].sum(axis=1) for js in members])
    readings = np.column_stack([(z * np.abs(coefficients))[:, js].sum(axis=1) for js in members])
    import sklearn

    model = {
        "kind": "logistic_regression",
        "library": f"scikit-learn {sklearn.__version__}",
        "penalty": f"L2, C={PENALTY_C:g}",
        "intercept": round(float(logistic.intercept_[0]), 6),
        "smoothing_pseudo_respondents": SMOOTHING,
        "bands_km": list(BANDS_KM),
        "features": [
            {
                "name": f.name,
                "group": f.group,
                "description": f.description,
                "mean": round(float(m), 6),
                "scale": round(float(s), 6),
                "coefficient": round(float(c), 6),
            }
            for f, m, s, c in zip(
                FEATURES, scaler.mean_, scaler.scale_, logistic.coef_[0], strict=True
            )
        ],
    }
    cv = _cross_validate(X[answers.responded], y, provinces, seed)
    cv["baseline_auc"] = baseline
    return Estimates(p, contributions, readings, model, cv["auc"], cv, respondents, reporting)


def follow_up_ranks(geo: Geography, answers: Answers, p: np.ndarray) -> list[int | None]:
    """Rank the silent comuni: highest estimate first, then the larger comune, then the code."""
    population = geo.comuni["population_2011"].fillna(-1).to_numpy(dtype=float)
    silent = np.flatnonzero(~answers.responded)
    # lexsort sorts by the last key first; the codes are in order already, so the index breaks ties.
    order = silent[np.lexsort((silent, -population[silent], -p[silent]))]
    ranks: list[int | None] = [None] * len(p)
    for place, i in enumerate(order, start=1):
        ranks[i] = place
    return ranks


def _stored(session: Session, key: dict) -> PresenceFit | None:
    return session.scalar(select(PresenceFit).filter_by(**key))


def presence_fit(session: Session, survey: Survey, seed: int = 0) -> tuple[PresenceFit, bool]:
    """Return the wave's presence model for its current data, and whether it was stored."""
    key = {"survey_id": survey.id, "fingerprint": data_fingerprint(session, survey),
           "seed": seed, "method": METHOD}  # fmt: skip
    fit = _stored(session, key)
    if fit is not None and fit.estimates_stored_at is not None:
        return fit, True
    geo = geography(session, survey.vintage)
    answers = read_answers(session, survey, geo)
    if answers.fingerprint != key["fingerprint"]:  # a write landed in between: follow it
        key["fingerprint"] = answers.fingerprint
        fit = _stored(session, key)
    features = build_features(geo, answers)
    result = estimate(geo, answers, features, seed)
    if fit is None:
        fit_id = session.scalar(
            insert(PresenceFit)
            .values(
                **key,
                respondents=result.respondents,
                reporting=result.reporting,
                model=result.model,
                cv_auc=result.cv_auc,
                cv=result.cv,
                estimates_stored_at=func.clock_timestamp(),
            )
            .on_conflict_do_nothing()
            .returning(PresenceFit.id)
        )
        if fit_id is None:  # another request stored this state first
            stored = _stored(session, key)
            assert stored is not None
            return stored, True
    else:  # its estimates were dropped: the same data and seed give them back
        fit_id = fit.id
        session.execute(
            update(PresenceFit)
            .where(PresenceFit.id == fit_id)
            .values(estimates_stored_at=func.clock_timestamp())
        )
    _store_estimates(session, fit_id, geo, answers, features, result)
    _drop_old_estimates(session, survey.id)
    fit = session.get(PresenceFit, fit_id, populate_existing=True)
    assert fit is not None
    return fit, False


def _store_estimates(
    session: Session, fit_id: int, geo: Geography, answers: Answers, features: FeatureSet,
    result: Estimates,
) -> None:  # fmt: skip
    texts = drivers(geo, features, result.contributions, result.readings)
    p = np.round(result.p, 6)
    # One statement, the columns as arrays: eight times faster than a row per parameter set.
    session.execute(
        insert(PresenceEstimate).from_select(
            ["fit_id", "code", "responded", "p_workers_present", "rank", "drivers"],
            select(
                literal(fit_id, BigInteger),
                func.unnest(bindparam("codes", list(geo.codes), ARRAY(String))),
                func.unnest(bindparam("responded", answers.responded.tolist(), ARRAY(Boolean))),
                func.unnest(bindparam("p", p.tolist(), ARRAY(Float))),
                func.unnest(bindparam("rank", follow_up_ranks(geo, answers, p), ARRAY(Integer))),
                func.jsonb_array_elements(
                    cast(bindparam("drivers", json.dumps(texts), Text), JSONB)
                ),
            ),
        )
    )


def _drop_old_estimates(session: Session, survey_id: int) -> None:
    """Keep the per-comune estimates of the newest fits only; every fit keeps its trace."""
    # Newest by estimates_stored_at, which is the clock's time (not the transaction's), so
    # that fits stored in one transaction still have an order.
    newest = (
        select(PresenceFit.id)
        .where(PresenceFit.survey_id == survey_id, PresenceFit.estimates_stored_at.is_not(None))
        .order_by(PresenceFit.estimates_stored_at.desc(), PresenceFit.id.desc())
        .limit(ESTIMATES_KEPT)
    )
    old = select(PresenceFit.id).where(
        PresenceFit.survey_id == survey_id,
        PresenceFit.estimates_stored_at.is_not(None),
        PresenceFit.id.not_in(newest),
    )
    dropped = list(session.scalars(old))
    if dropped:
        session.execute(delete(PresenceEstimate).where(PresenceEstimate.fit_id.in_(dropped)))
        session.execute(
            update(PresenceFit).where(PresenceFit.id.in_(dropped)).values(estimates_stored_at=None)
        )


def presence_probabilities(session: Session, survey: Survey, seed: int = 0) -> dict[str, float]:
    """Return {code: p_workers_present} for every comune of the wave that has not answered."""
    fit, _ = presence_fit(session, survey, seed)
    rows = session.execute(
        select(PresenceEstimate.code, PresenceEstimate.p_workers_present).where(
            PresenceEstimate.fit_id == fit.id, PresenceEstimate.responded.is_(False)
        )
    )
    return dict(rows.all())
