"""What the database holds for a wave: stored submissions, and whether every one is whole."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text

SUBMISSIONS = text(
    "select submission_id::text, count(*) from responses where survey_id = :survey group by 1"
)

# Each check counts the wave's responses that break one rule of a complete, consistent document.
CHECKS = {
    # the current revision the response points at exists, and the ETag is that revision's
    "missing_current_revision": """
        not exists (select 1 from revisions v where v.response_id = r.id
          and v.revision = r.revision
          and r.etag = '"' || v.revision || '-' || left(v.content_hash, 16) || '"')""",
    # revisions run 1..n with no gap and none beyond the current one
    "revision_gaps": """
        r.revision <> (select count(*) from revisions v
                       where v.response_id = r.id and v.revision <= r.revision)
        or exists (select 1 from revisions v
                   where v.response_id = r.id and v.revision > r.revision)""",
    # the first revision is the create, of the response's own submission
    "bad_first_revision": """
        not exists (select 1 from revisions v where v.response_id = r.id and v.revision = 1
          and v.kind = 'create' and v.submission_id = r.submission_id)""",
    # the normalised rows mirror the current document
    "formal_settlements_mismatch": """
        jsonb_array_length(coalesce(c.document->'formal_settlements', '[]')) <>
        (select count(*) from formal_settlements f where f.response_id = r.id)""",
    "informal_settlements_mismatch": """
        jsonb_array_length(coalesce(c.document->'informal_settlements', '[]')) <>
        (select count(*) from informal_settlements i where i.response_id = r.id)""",
    "document_mismatch": """
        c.document->>'comune_code' <> r.comune_code
        or (c.document->>'workers_present')::boolean <> r.workers_present""",
}
QUERY = """
    select count(*) from responses r
    left join revisions c on c.response_id = r.id and c.revision = r.revision
    where r.survey_id = :survey and ({rule})
"""


@dataclass(frozen=True)
class Integrity:
    """Stored submissions (id -> how many rows) and the count of responses breaking each rule."""

    stored: dict[str, int]
    broken: dict[str, int]

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.stored.values())

    @property
    def whole(self) -> bool:
        return not any(self.broken.values())


def integrity(engine: Engine, survey_id: int) -> Integrity:
    """Read what a wave holds and check every response is complete and consistent."""
    with engine.connect() as conn:
        stored = dict(conn.execute(SUBMISSIONS, {"survey": survey_id}).all())
        broken = {}
        for name, rule in CHECKS.items():
            query = text(QUERY.format(rule=rule))
            broken[name] = conn.execute(query, {"survey": survey_id}).scalar_one()
    return Integrity(stored, broken)
