"""Validate a response document against the contract and the wave's geography, all at once."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.census.problems import problems_of
from app.census.questionnaire import Document, Location, rule_problems
from app.errors import Problem, ValidationFailed
from app.wording import counted

# Settlements sit on borders, so a location may lie this far outside its comune.
BORDER_TOLERANCE_M = 1000
SETTLEMENT_LISTS = ("formal_settlements", "informal_settlements")
LOCATION = TypeAdapter(Location)


@dataclass(frozen=True)
class ValidDocument:
    """A document that passed every rule, with what storage needs from it."""

    document: Document
    data: dict  # as sent, parsed: what revisions keep
    content_hash: str
    quality_flags: list[dict]


def content_hash(data: dict) -> str:
    """Hash the document as parsed JSON: key order and whitespace do not count."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_json(raw: bytes) -> dict:
    """Parse the body, or fail with a problem at the root."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailed([Problem("$", f"is not valid JSON: {exc}")]) from exc
    if not isinstance(data, dict):
        raise ValidationFailed([Problem("$", "must be a JSON object")])
    return data


def _locations(data: dict, doc: Document | None) -> list[tuple[str, str]]:
    """Return (path, GeoJSON) of every location that is valid on its own."""
    found = []
    for key in SETTLEMENT_LISTS:
        if doc is not None:  # a valid document: its locations are checked already
            for i, item in enumerate(getattr(doc, key)):
                if item.location is not None:
                    found.append((f"{key}[{i}].location", item.location.model_dump_json()))
            continue
        items = data.get(key)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if isinstance(item, dict) and item.get("location") is not None:
                try:
                    loc = LOCATION.validate_json(json.dumps(item["location"]))
                except ValidationError:
                    continue  # already reported by the document's own validation
                found.append((f"{key}[{i}].location", loc.model_dump_json()))
    return found


# One round trip: the comune's name (no row if it is not in the vintage) and how far each
# location lies from it.
GEOGRAPHY = text(
    """
    select c.name, x.path,
           ST_Distance(c.geom::geography, ST_GeomFromGeoJSON(x.geojson)::geography)
    from comuni c
    left join unnest(cast(:paths as text[]), cast(:geojsons as text[])) as x(path, geojson)
      on true
    where c.vintage = :vintage and c.code = :code
    """
)


def geography_problems(
    session: Session,
    vintage: int,
    data: dict,
    doc: Document | None = None,
    known_comuni: frozenset[str] | None = None,
) -> list[Problem]:
    """Check the comune exists in the wave's vintage and every location lies in or near it.

    `known_comuni` are codes the caller already knows the vintage has: a document about one
    of them, without locations, needs no query.
    """
    code = data.get("comune_code")
    if not (isinstance(code, str) and len(code) == 6 and code.isdigit()):
        return []  # the document's own validation names the problem
    locations = _locations(data, doc)
    if not locations and known_comuni is not None and code in known_comuni:
        return []
    paths, geojsons = zip(*locations, strict=True) if locations else ((), ())
    rows = session.execute(
        GEOGRAPHY,
        {"paths": list(paths), "geojsons": list(geojsons), "vintage": vintage, "code": code},
    ).all()
    if not rows:
        return [Problem("comune_code", f"{code} is not a comune of vintage {vintage}")]
    return [
        Problem(
            path,
            f"lies {metres / 1000:.1f} km outside {name} ({code}); a location must be inside "
            f"its comune or within {BORDER_TOLERANCE_M / 1000:g} km of it",
        )
        for name, path, metres in rows
        if path is not None and metres > BORDER_TOLERANCE_M
    ]


def quality_flags(doc: Document) -> list[dict]:
    """Note what is accepted but doubtful, for analysts to review."""
    flags = []
    for i, s in enumerate(doc.formal_settlements):
        if s.capacity is not None and s.occupants is not None and s.occupants > s.capacity:
            flags.append(
                {
                    "path": f"formal_settlements[{i}].occupants",
                    "flag": "occupants_exceed_capacity",
                    "message": f"occupants ({s.occupants}) exceed capacity ({s.capacity})",
                }
            )
    w = doc.workers
    if w is not None and w.seasonal and not w.seasonal_months:
        flags.append(
            {
                "path": "workers.seasonal_months",
                "flag": "seasonal_months_missing",
                "message": f"{counted(w.seasonal, 'seasonal worker')} but no seasonal months",
            }
        )
    return flags


def validate_document(
    session: Session,
    vintage: int,
    raw: bytes | dict,
    comune_code: str | None = None,
    parsed: dict | None = None,
    known_comuni: frozenset[str] | None = None,
) -> ValidDocument:
    """Validate a document; report every problem it has at once, or return it ready to store.

    `comune_code`, when given, is the comune the document must be about (a correction's URL);
    `parsed` is the body already parsed, when the caller has it; `known_comuni` are codes
    known to exist in the vintage (see `geography_problems`).
    """
    if parsed is not None:
        data = parsed
    else:
        data = parse_json(raw) if isinstance(raw, bytes | str) else raw
    problems: list[Problem] = []
    if comune_code is not None and data.get("comune_code") != comune_code:
        problems.append(Problem("comune_code", f"must be {comune_code}, the comune of this URL"))
        data = {**data, "comune_code": comune_code}  # check the locations against the URL's
        raw = data
    doc = None
    try:
        # JSON mode, so that strict types take JSON's own (a UUID as a string). The body is
        # read as it was sent; only a dict must be written out first.
        doc = Document.model_validate_json(raw if isinstance(raw, bytes | str) else json.dumps(raw))
    except ValidationError as exc:
        problems += problems_of(exc)
    problems += rule_problems(data)
    problems += geography_problems(session, vintage, data, doc, known_comuni)
    if problems or doc is None:
        raise ValidationFailed(problems)
    return ValidDocument(doc, data, content_hash(data), quality_flags(doc))
