"""Header text made comparable: accents, Greek letters and separators reduced to plain ASCII."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters NFKD does not decompose (Polish l with stroke, German sharp s, ...).
_LATIN = str.maketrans({"Ł": "L", "ł": "l", "ß": "ss", "Ø": "O", "ø": "o", "Æ": "AE",
                        "æ": "ae", "Œ": "OE", "œ": "oe", "Đ": "D", "đ": "d", "ı": "i"})
# ELOT 743 transliteration, which is how Greek sites write Greek in ASCII-only fields.
_GREEK = str.maketrans({"Α": "A", "Β": "V", "Γ": "G", "Δ": "D", "Ε": "E", "Ζ": "Z", "Η": "I",
                        "Ι": "I", "Κ": "K", "Λ": "L", "Μ": "M", "Ν": "N", "Ξ": "X", "Ο": "O",
                        "Π": "P", "Ρ": "R", "Σ": "S", "Τ": "T", "Υ": "Y", "Φ": "F", "Ω": "O"})
_GREEK_PAIRS = {"Θ": "TH", "Χ": "CH", "Ψ": "PS"}

B = r"(?<![A-Z0-9])"  # a word starts here (punctuation such as + / - may belong to a word)
E = r"(?![A-Z0-9])"  # and ends here


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Upper-case ASCII with single spaces: 'Opóźnione_żylna' -> 'OPOZNIONE ZYLNA' (cached:
    an archive repeats its descriptions)."""
    if not text:
        return ""
    t = text.translate(_LATIN)
    t = unicodedata.normalize("NFKD", t)
    t = "".join(c for c in t if not unicodedata.combining(c)).upper()  # final sigma too
    for greek, latin in _GREEK_PAIRS.items():
        t = t.replace(greek, latin)
    t = t.translate(_GREEK)
    t = re.sub(r"[_^]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def words(*alternatives: str) -> str:
    """A regex matching any of the alternatives as whole words."""
    return B + "(?:" + "|".join(alternatives) + ")" + E


def masked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the given spans blanked (same length: later matches keep positions)."""
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            chars[i] = " "
    return "".join(chars)
