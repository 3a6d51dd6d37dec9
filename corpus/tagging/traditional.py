"""Documents in Traditional characters (Hong Kong, Macao, Taiwan, or older texts).

The gazetteer, the agency list, the sector keywords and the search index are all Simplified, so
a Traditional document (廣東省人民政府關於擴大外商投資…) would be left untagged and unsearchable.
Such a document is recognised by the characters that exist only in Traditional script (OpenCC's
``TSCharacters`` table: a character whose Simplified forms do not include itself), and its
fields are tagged — and its text indexed — in their Simplified form through OpenCC ``t2s``. The
stored text and the raw record are never converted.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

#: how much of a document is looked at, and how many Traditional-only characters make it
#: Traditional (a stray variant character in a Simplified text does not)
SAMPLE_CHARS = 2000
MIN_TRADITIONAL = 3
CONVERTED_WARNING = "Traditional characters: tagged and indexed in Simplified form (OpenCC t2s)"


@lru_cache(maxsize=1)
def _traditional_only() -> re.Pattern:
    table = resources.files("opencc").joinpath("dictionary", "TSCharacters.txt")
    chars = []
    for line in table.read_text(encoding="utf-8").splitlines():
        key, _, simplified = line.partition("\t")
        # Basic Multilingual Plane only: one astral character in the class makes the regex
        # ~100x slower (0.8 ms a document instead of 7 µs), and a Traditional text always has
        # BMP characters of its own
        if len(key) == 1 and key not in simplified.split() and ord(key) <= 0xFFFF:
            chars.append(key)
    return re.compile("[" + "".join(map(re.escape, chars)) + "]")


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def traditional_count(text: str, sample: int = SAMPLE_CHARS) -> int:
    """Characters of the first ``sample`` of ``text`` that exist only in Traditional script."""
    return len(_traditional_only().findall(text[:sample]))


def is_traditional(text: str, *, min_chars: int = MIN_TRADITIONAL) -> bool:
    return traditional_count(text) >= min_chars


def to_simplified(text: str) -> str:
    """``text`` through OpenCC ``t2s`` (unchanged when it has no Traditional-only character)."""
    if not text or _traditional_only().search(text) is None:
        return text
    return _t2s().convert(text)


def simplified_fields(fields: dict) -> dict:
    """A copy of ``fields`` with every text value in Simplified form."""
    return {k: to_simplified(v) if isinstance(v, str) else v for k, v in fields.items()}
