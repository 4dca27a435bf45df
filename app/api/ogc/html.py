"""A plain HTML rendering of the OGC API documents, for people browsing the service."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from starlette.responses import HTMLResponse

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
)


def page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def links(items: Iterable[dict]) -> str:
    rows = "".join(
        f'<li><a href="{escape(x["href"])}">{escape(x.get("title") or x["rel"])}</a>'
        f" <small>({escape(x['rel'])}, {escape(x['type'])})</small></li>"
        for x in items
    )
    return f"<ul>{rows}</ul>"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{'' if v is None else escape(str(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def document(doc: dict) -> str:
    """Render the description and links of a JSON document."""
    text = f"<p>{escape(doc['description'])}</p>" if doc.get("description") else ""
    return text + links(doc.get("links", []))


def collections(doc: dict) -> HTMLResponse:
    items = "".join(
        f'<li><a href="{escape(c["links"][0]["href"])}?f=html">{escape(c["id"])}</a>: '
        f'{escape(c["title"])} (<a href="{escape(c["links"][2]["href"])}?f=html">features</a>)'
        "</li>"
        for c in doc["collections"]
    )
    return page("Collections", f"<ul>{items}</ul>" + links(doc["links"]))
