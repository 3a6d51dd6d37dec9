"""Body text clean-up applied to every site: page furniture and doubled blocks.

Live templates put things inside the body container that are not the document: editor credits
(SASAC 【责任编辑：…】), QR-code hints (扫一扫在手机打开当前页), related-article lists and their
titles, share / print / close buttons. They are listed as patterns in ``crawler/furniture.txt``
(an editable file, one regular expression per line, see its header), not written into each
spider, so a new site's furniture is one line.

Some templates also carry the text twice: gov.cn's department-document template has the body in
``div.pages_content.mhide#UCAP-CONTENT`` and a mobile copy in ``div.pages_content.pchide``, and a
selector on the shared class takes both. :func:`drop_repeated_blocks` keeps the first copy of a
block that repeats, whatever the site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FURNITURE_FILE = Path(__file__).resolve().parent / "furniture.txt"
_WS = re.compile(r"[\s\u3000\xa0\u200b\ufeff]+")
MIN_REPEATED_CHARS = 40     # a repeated block shorter than this may be a real repetition


@dataclass(frozen=True)
class Furniture:
    """Compiled furniture patterns: whole lines to drop, and starts of trailing blocks."""

    lines: tuple[re.Pattern, ...]
    trailing: tuple[re.Pattern, ...]

    def is_line(self, line: str) -> bool:
        return any(p.fullmatch(line) for p in self.lines)

    def starts_trailing(self, line: str) -> bool:
        return any(p.fullmatch(line) for p in self.trailing)


def parse_furniture(text: str, source: str = "furniture patterns") -> Furniture:
    """Patterns from the file format of ``furniture.txt``; a bad pattern names its line."""
    lines: list[re.Pattern] = []
    trailing: list[re.Pattern] = []
    for number, raw in enumerate(text.splitlines(), 1):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        target = lines
        if entry.startswith("from:"):
            entry, target = entry[len("from:"):].strip(), trailing
        try:
            target.append(re.compile(entry))
        except re.error as exc:
            from zhengce.common.errors import UserError

            raise UserError(f"{source} line {number}: {entry!r} is not a regular expression "
                            f"({exc}); fix or remove the line") from exc
    return Furniture(tuple(lines), tuple(trailing))


@lru_cache(maxsize=4)
def load_furniture(path: str | None = None) -> Furniture:
    target = Path(path) if path else FURNITURE_FILE
    return parse_furniture(target.read_text(encoding="utf-8"), str(target))


def _squeeze(line: str) -> str:
    return _WS.sub("", line)


def strip_furniture(text: str, furniture: Furniture | None = None) -> tuple[str, int]:
    """``(text without furniture lines, number of lines dropped)``."""
    furniture = furniture or load_furniture()
    kept: list[str] = []
    lines = text.split("\n")
    for position, line in enumerate(lines):
        squeezed = _squeeze(line)
        if not squeezed:
            kept.append(line)
            continue
        if furniture.starts_trailing(squeezed):
            return "\n".join(kept).strip(), len(lines) - len(kept)
        if furniture.is_line(squeezed):
            continue
        kept.append(line)
    return "\n".join(kept).strip(), len(lines) - len(kept)


def drop_repeated_blocks(text: str, min_chars: int = MIN_REPEATED_CHARS) -> tuple[str, bool]:
    """``(text, True)`` with a trailing copy of the body removed: a text whose lines are a
    block followed by the same block (again and again) keeps one copy. Whitespace is ignored
    when comparing lines (a mobile copy may be laid out differently)."""
    lines = [line for line in text.split("\n") if _squeeze(line)]
    squeezed = [_squeeze(line) for line in lines]
    n = len(squeezed)
    for size in range(1, n // 2 + 1):
        if n % size:
            continue
        block = squeezed[:size]
        if sum(len(s) for s in block) < min_chars:
            continue
        if all(squeezed[i:i + size] == block for i in range(size, n, size)):
            return "\n".join(lines[:size]), True
    return text, False


def distinct_parts(texts: list[str]) -> list[str]:
    """Texts of several matched containers without the ones that repeat an earlier one (a
    mobile copy) or sit inside one (a nested match)."""
    kept: list[str] = []
    kept_squeezed: list[str] = []
    for text in texts:
        squeezed = _squeeze(text)
        if not squeezed or any(squeezed in other for other in kept_squeezed):
            continue
        kept.append(text)
        kept_squeezed.append(squeezed)
    return kept


def clean_body(text: str) -> tuple[str, dict[str, int]]:
    """The body without a repeated copy and without furniture lines; counts of what went
    (``duplicated_body``: 1 when a copy was dropped; ``furniture_lines``)."""
    counts: dict[str, int] = {}
    # furniture first: a copy followed by furniture is still a copy
    text, dropped = strip_furniture(text)
    if dropped:
        counts["furniture_lines"] = dropped
    text, repeated = drop_repeated_blocks(text)
    if repeated:
        counts["duplicated_body"] = 1
    return text, counts
