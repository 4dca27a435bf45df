"""Token lifetimes: one rule for respondents of a wave, however their token is issued."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.census.tokens import create_token, issue_respondents
from tests.utils.documents import open_survey


def test_a_respondent_token_of_a_wave_lasts_until_180_days_after_it_closes(session):
    now = datetime.now(UTC)
    closes = now + timedelta(days=500)  # later than the one-year default
    wave = open_survey(session, code="long-wave", closes_at=closes)

    one, _ = create_token(session, "respondent", ["071051"], "one", survey=wave)
    mailed = issue_respondents(session, wave)
    analyst, _ = create_token(session, "analyst", label="analyst")

    assert one.expires_at == closes + timedelta(days=180)
    assert {c.expires_at for c in mailed} == {one.expires_at}
    assert analyst.expires_at == pytest.approx(now + timedelta(days=365), abs=timedelta(minutes=5))
