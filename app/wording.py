"""Words in messages: a count with its noun in the right number, an article before a word."""

from __future__ import annotations


def counted(n: int, one: str, many: str | None = None) -> str:
    """Return the count with its noun: "1 area", "2 areas", "1 comune", "3 comuni"."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def a_or_an(word: str) -> str:
    """Return the word after its indefinite article: "an analyst", "a respondent"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
