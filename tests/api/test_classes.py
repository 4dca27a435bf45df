"""Choropleth class breaks: mapclassify on the public figures, never on withheld cells."""

from __future__ import annotations

import warnings

import mapclassify
import numpy as np
import pytest

from tests.utils.auth import bearer, token

pytestmark = pytest.mark.database("national")

URL = "/api/v1/surveys/national/indicators"


def public_rows(client, level: str) -> list[dict]:
    return client.get(f"{URL}?level={level}&limit=10000").json()["items"]


def expected(values: list[float], method: str, k: int) -> np.ndarray:
    y = np.sort(np.array([v for v in values if v is not None and v > 0], dtype=float))
    k = min(k, len(np.unique(y)))
    cls = mapclassify.Quantiles if method == "quantiles" else mapclassify.JenksCaspall
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ties: fewer classes than asked, as the answer says
        return cls(y, k=k).bins


@pytest.mark.parametrize(
    ("level", "indicator", "method", "k"),
    [
        ("province", "workers_seasonal", "quantiles", 5),
        ("province", "informal_persons_mid", "natural_breaks", 4),
        ("region", "workers_stable_per_1000_residents", "quantiles", 3),
        ("comune", "informal_persons_mid", "quantiles", 5),
        ("comune", "workers_seasonal", "natural_breaks", 6),
    ],
)
def test_breaks_are_mapclassifys_on_the_public_figures(client, level, indicator, method, k):
    rows = public_rows(client, level)
    r = client.get(f"{URL}/classes", params={"level": level, "indicator": indicator,
                                            "method": method, "k": k})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    values = [row[indicator] for row in rows]
    assert body["breaks"] == pytest.approx(list(expected(values, method, k)))
    positive = [v for v in values if v is not None and v > 0]
    assert body["minimum"] == pytest.approx(min(positive))
    assert sum(body["counts"]) == len(positive)
    assert body["zero"] == sum(1 for v in values if v == 0)
    withheld = [row for row in rows if indicator in row["suppressed_fields"]]
    assert body["withheld"] == len(withheld)
    assert body["zero"] + sum(body["counts"]) + body["withheld"] + body["no_value"] == len(rows)
    assert body["units"] == len(rows)
    # Each unit falls in the class its value's upper bound says.
    upper = np.array(body["breaks"])
    found = np.bincount(np.searchsorted(upper, positive), minlength=len(upper))
    assert list(found) == body["counts"]


def test_withheld_cells_never_shape_the_breaks_even_for_analysts(client, session):
    level, indicator = "comune", "informal_persons_mid"
    public = public_rows(client, level)
    withheld = {row["code"] for row in public if indicator in row["suppressed_fields"]}
    assert withheld, "the national wave withholds some comuni's informal people"
    analyst = bearer(token(session, "analyst"))
    full = client.get(f"{URL}?level={level}&limit=10000", headers=analyst).json()["items"]
    hidden = [row[indicator] for row in full if row["code"] in withheld]
    assert any(v is not None and v > 0 for v in hidden)

    params = {"level": level, "indicator": indicator, "k": 5}
    anonymous = client.get(f"{URL}/classes", params=params).json()
    as_analyst = client.get(f"{URL}/classes", params=params, headers=analyst).json()
    assert as_analyst == anonymous
    # The full figures would give other breaks; the answer is the public figures' breaks.
    with_hidden = expected([row[indicator] for row in full], "quantiles", 5)
    assert anonymous["breaks"] == pytest.approx(
        list(expected([row[indicator] for row in public], "quantiles", 5))
    )
    assert list(with_hidden) != pytest.approx(anonymous["breaks"])
    assert sum(anonymous["counts"]) == sum(1 for row in public if (row[indicator] or 0) > 0)


def test_bad_parameters_answer_422_naming_each(client):
    r = client.get(f"{URL}/classes?indicator=nope&level=italy&method=jenks&k=12")
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "validation_failed"
    assert {d["path"] for d in error["details"]} == {"indicator", "level", "method", "k"}
    missing = client.get(f"{URL}/classes?level=region")
    assert missing.status_code == 422
    assert [d["path"] for d in missing.json()["error"]["details"]] == ["indicator"]
    unknown = client.get("/api/v1/surveys/no-such-wave/indicators/classes?indicator=workers_stable")
    assert unknown.status_code == 404


def test_a_level_without_any_value_has_no_breaks(client, session):
    from tests.utils.documents import open_survey

    open_survey(session, code="silent-wave")
    r = client.get("/api/v1/surveys/silent-wave/indicators/classes?indicator=workers_stable")
    body = r.json()
    assert r.status_code == 200
    assert body["breaks"] == [] and body["counts"] == [] and body["minimum"] is None
    assert body["no_value"] == body["units"] == 20
