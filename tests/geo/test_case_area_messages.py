"""The constraint report speaks proper English at every count: 1 area, 2 areas, 1 candidate."""

from __future__ import annotations

from app.geo.case_areas.candidates import Candidate
from app.geo.case_areas.selection import Instance, Requirement, constraint_report


def test_counts_of_one_take_the_singular():
    alone = Candidate("071051", ("071051",), [], score=0.5, centroid=(0.0, 0.0))
    formal = Requirement("quota:formal", "quota", "formal", 2, (0,))
    isole = Requirement("ripartizione:Isole", "ripartizione", "Isole", 1, ())
    report = constraint_report(Instance(1, [alone], 50.0, [formal, isole]), [0])

    messages = {item["id"]: item["message"] for item in report["items"]}

    assert messages["count"] == "1 area selected"
    assert messages["quota:formal"] == (
        "quota not met: at least 2 areas where formal housing dominates were asked, the best "
        "feasible selection has 1 (more than the 1 area asked for)"
    )
    assert messages["ripartizione:Isole"].startswith("ripartizione not covered: Isole has 0 ")
    assert "1 areas" not in report["summary"] and "1 candidates" not in report["summary"]
