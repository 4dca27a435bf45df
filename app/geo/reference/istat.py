"""ISTAT's fixed codes: regions and the five ripartizioni."""

from __future__ import annotations

import unicodedata

RIPARTIZIONI: dict[int, str] = {
    1: "Nord-ovest",
    2: "Nord-est",
    3: "Centro",
    4: "Sud",
    5: "Isole",
}

# Region code -> ripartizione code, ISTAT's fixed mapping.
REGION_RIPARTIZIONE: dict[int, int] = {
    1: 1, 2: 1, 3: 1, 7: 1,
    4: 2, 5: 2, 6: 2, 8: 2,
    9: 3, 10: 3, 11: 3, 12: 3,
    13: 4, 14: 4, 15: 4, 16: 4, 17: 4, 18: 4,
    19: 5, 20: 5,
}  # fmt: skip

REGION_NAMES: dict[int, str] = {
    1: "Piemonte",
    2: "Valle d'Aosta/Vallée d'Aoste",
    3: "Lombardia",
    4: "Trentino-Alto Adige/Südtirol",
    5: "Veneto",
    6: "Friuli-Venezia Giulia",
    7: "Liguria",
    8: "Emilia-Romagna",
    9: "Toscana",
    10: "Umbria",
    11: "Marche",
    12: "Lazio",
    13: "Abruzzo",
    14: "Molise",
    15: "Campania",
    16: "Puglia",
    17: "Basilicata",
    18: "Calabria",
    19: "Sicilia",
    20: "Sardegna",
}


def ripartizione_of(region_code: int) -> tuple[int, str]:
    """Return the ripartizione (code, name) of a region."""
    code = REGION_RIPARTIZIONE[region_code]
    return code, RIPARTIZIONI[code]


def fold(text: str) -> str:
    """Lower-case `text` and strip its accents, for accent-insensitive search."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
