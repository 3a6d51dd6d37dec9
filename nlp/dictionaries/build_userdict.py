"""Build ``userdict.txt``, the domain user dictionary loaded by :class:`nlp.text.segment.Segmenter`.

Run from the repository root::

    python -m zhengce.nlp.dictionaries.build_userdict            # writes nlp/dictionaries/userdict.txt
    python -m zhengce.nlp.dictionaries.build_userdict --check    # exit 1 if the file is out of date

Sources, in priority order (the first source that lists a word decides its line):

1. ``policy_terms.txt`` — hand-curated economic-policy terms (editable);
2. every multi-character seed term of the coding scheme (``nlp/schemes/tan.yaml``), because a seed
   that the segmenter cuts into pieces can never be counted;
3. agency and place names from the gazetteer (``corpus.gazetteer.Gazetteer.default()``:
   ``agency_names()`` and ``place_names()``); when that module or API is not available, the
   hand list ``names_fallback.txt``. The output header says which was used.

Frequencies. A word that jieba's built-in dictionary already has with a frequency of at least
:data:`FREQ_FLOOR` is left out (jieba keeps it whole already, and re-adding it would replace the
built-in frequency). Every other word is written with ``max(FREQ_FLOOR, suggest_freq(word))``, where
``suggest_freq`` is jieba's own rule computed on the pristine built-in dictionary (the smallest
frequency that beats the word's pieces in isolation). The floor matters in context: measured with
rjieba on the LawRefBook corpus for the multi-character seed terms plus four agency names (16,926
occurrences in the raw text), ``suggest_freq`` alone left 1,502 occurrences cut apart by
neighbouring characters; a floor of 1,000 left 806, almost all inside longer built-in words such as
产品质量法 or 反垄断法 (which is right); a floor of 10,000 left 322 but started breaking those longer
words (产品质量法 → 产品质量 / 法). Agency and place names (tags ``nt``, ``ns``) that jieba already
knows at any frequency are left out too: they are whole words already, and raising the frequency of
a name that is also an ordinary word would only move segmentation elsewhere. Which place names are
taken from the gazetteer (official names of three or more characters, short forms of provinces and
prefectures, no county short forms such as 和平 or 城关) is decided by
:func:`nlp.text.entities.gazetteer_names`. Explicit frequencies in the source files are kept as given.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from pathlib import Path

from zhengce.nlp.scheme import load_scheme
from zhengce.nlp.text.segment_backends import DEFAULT_USER_FREQ, UserWord, _JiebaBackend, read_user_dict

HERE = Path(__file__).resolve().parent

FREQ_FLOOR = DEFAULT_USER_FREQ
NAME_TAGS = {"nt", "ns"}  # agency and place names
POLICY_TERMS = HERE / "policy_terms.txt"
NAMES_FALLBACK = HERE / "names_fallback.txt"
OUTPUT = HERE / "userdict.txt"

log = logging.getLogger("build_userdict")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def gazetteer_names() -> tuple[list[str], list[str], str] | None:
    """``(agency names, place names, description)`` from corpus.gazetteer, or None if unavailable
    (the selection rules are :func:`nlp.text.entities.gazetteer_names`)."""
    from zhengce.nlp.text.entities import gazetteer_names as names_from_gazetteer

    names = names_from_gazetteer()
    if names is None:
        log.warning("corpus.gazetteer not usable; using %s", NAMES_FALLBACK.name)
        return None
    return names[0], names[1], "corpus.gazetteer.Gazetteer.default()"


def collect() -> tuple[list[tuple[str, UserWord]], list[str]]:
    """Candidate ``(section, UserWord)`` pairs in priority order, and header lines on the sources."""
    header: list[str] = []
    candidates: list[tuple[str, UserWord]] = []
    for entry in read_user_dict(POLICY_TERMS):
        candidates.append(("policy terms (policy_terms.txt)", entry))
    header.append(f"policy_terms.txt sha256:{_sha(POLICY_TERMS)}")

    scheme = load_scheme()
    for seed in scheme.seeds():
        if len(seed.term) >= 2:
            candidates.append((f"coding-scheme seeds ({Path(scheme.path).name})",
                               UserWord(seed.term, None, "nz", f"{scheme.path}:{seed.category}")))
    header.append(f"{Path(scheme.path).name} scheme {scheme.name} hash:{scheme.hash}")

    names = gazetteer_names()
    if names is None:
        for entry in read_user_dict(NAMES_FALLBACK):
            section = "agencies" if entry.tag == "nt" else "places"
            candidates.append((f"{section} (names_fallback.txt)", entry))
        header.append(f"names_fallback.txt sha256:{_sha(NAMES_FALLBACK)} (gazetteer not available)")
    else:
        agencies, places, description = names
        for name in agencies:
            candidates.append(("agencies (gazetteer)", UserWord(name, None, "nt", "gazetteer")))
        for name in places:
            candidates.append(("places (gazetteer)", UserWord(name, None, "ns", "gazetteer")))
        header.append(f"{description}: {len(agencies)} agency names, {len(places)} place names")
    return candidates, header


def build() -> tuple[str, dict]:
    """The text of userdict.txt and counts of what was written or skipped."""
    from zhengce.nlp.text.segment_backends import _JIEBA_WORD_CHARS_RE

    pristine = _JiebaBackend()
    tk = pristine._tk
    candidates, header = collect()
    seen: set[str] = set()
    sections: dict[str, list[str]] = {}
    stats = {"written": 0, "skipped_known": 0, "skipped_duplicate": 0, "skipped_unusable": 0}
    for section, entry in candidates:
        word = entry.word
        if word in seen:
            stats["skipped_duplicate"] += 1
            continue
        seen.add(word)
        if not _JIEBA_WORD_CHARS_RE.fullmatch(word):
            stats["skipped_unusable"] += 1  # e.g. names with 《》 or middle dots: jieba splits there
            continue
        tag = entry.tag or "nz"
        if entry.freq is not None:
            freq = entry.freq
        else:
            builtin = tk.FREQ.get(word, 0)
            is_name = entry.tag in NAME_TAGS
            if builtin >= FREQ_FLOOR or (is_name and builtin > 0):
                stats["skipped_known"] += 1
                continue
            freq = max(FREQ_FLOOR, tk.suggest_freq(word, tune=False))
        sections.setdefault(section, []).append(f"{word} {freq} {tag}")
        stats["written"] += 1
    lines = [
        "# Domain user dictionary for nlp.segment.Segmenter (jieba format: word frequency tag).",
        "# GENERATED by nlp/dictionaries/build_userdict.py from:",
        *[f"#   {h}" for h in header],
        f"# Frequency floor {FREQ_FLOOR}; words jieba already has at or above it, and agency/place",
        "# names jieba already has at any frequency, are left out.",
        "# Edit the sources and re-run the script, or edit this file by hand (a hand edit is kept",
        "# until the next build). Any change re-segments the corpus (new config hash).",
    ]
    for section, entries in sections.items():
        lines += ["", f"# -- {section}: {len(entries)} words", *entries]
    return "\n".join(lines) + "\n", stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the output file differs from what would be built")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    text, stats = build()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python -m zhengce.nlp.dictionaries.build_userdict")
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}: {stats['written']} words ({stats['skipped_known']} already known "
          f"to jieba, {stats['skipped_duplicate']} duplicates, {stats['skipped_unusable']} "
          "unusable characters skipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
