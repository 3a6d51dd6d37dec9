"""Agency, place and 转发 (transmitted-document) mentions with a rule-based spaCy pipeline.

The pipeline is ``spacy.blank("zh")`` with its tokenizer replaced by :class:`SegmenterTokenizer`,
which calls this project's :class:`nlp.text.segment.Segmenter`. spaCy's own jieba mode
(``{"segmenter": "jieba"}``) was checked with spaCy 3.8: it works offline, but it calls the
module-level ``jieba.cut`` (the global tokenizer every importer shares, HMM on, cache file in /tmp)
and cannot take our user dictionary without changing that global — hence the custom tokenizer.

Components:

* ``entity_ruler`` with phrase patterns for agency names (label ``AGENCY``) and place names
  (``PLACE``) from the gazetteer (``corpus.gazetteer.Gazetteer.default()``; the hand list
  ``nlp/dictionaries/names_fallback.txt`` when the gazetteer is not available). Phrase patterns are
  matched on tokens, so the names should be in the user dictionary (build_userdict.py puts them
  there) to come out as whole tokens.
* ``span_ruler`` (spans key ``references``, label ``REPOST``) for transmittal references:
  ``转发《…》``, ``《…》转发`` (现将《…》转发给你们) and ``转发 <issuer> 关于 … 的 通知/意见/…``. It is a separate component so that an
  agency inside a reference (转发**国务院**关于…) is still an ``AGENCY`` entity.

Offsets refer to the NFKC-normalized text (boilerplate is *not* stripped here: the 转发 sentence is
exactly the boilerplate the topic-model normalizer removes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from zhengce.common.errors import UserError

from .normalize import Normalizer
from .segment import Segmenter
from .segment_backends import DICTIONARIES, read_user_dict

NAMES_FALLBACK = DICTIONARIES / "names_fallback.txt"
REFERENCES_KEY = "references"
DOCUMENT_KINDS = ["通知", "意见", "决定", "办法", "规定", "规划", "纲要", "方案", "批复", "通告",
                  "报告", "请示", "函", "细则", "条例", "目录"]
_BREAKS = ["。", "；", ";", ",", "，", "\n", "《", "》", "!", "?", "！", "？"]
_PROVINCE_SUFFIX_RE = re.compile(r"(?:省|壮族自治区|回族自治区|维吾尔自治区|自治区)$")
_MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}


@dataclass(frozen=True)
class Mention:
    label: str  # AGENCY, PLACE or REPOST
    text: str
    start: int  # character offsets in the normalized text
    end: int
    target: str | None = None  # REPOST: the referenced document's title or description


class SegmenterTokenizer:
    """A spaCy tokenizer that segments with :class:`nlp.text.segment.Segmenter` (raw tokens)."""

    def __init__(self, vocab, segmenter: Segmenter):
        self.vocab = vocab
        self.segmenter = segmenter

    def __call__(self, text: str):
        from spacy.tokens import Doc
        from spacy.util import get_words_and_spaces

        words = [w for w in self.segmenter.raw_tokens(text) if w]
        words, spaces = get_words_and_spaces(words, text)
        return Doc(self.vocab, words=words, spaces=spaces)

    # spaCy calls these when it serialises a pipeline; the segmenter is rebuilt from code instead.
    def to_bytes(self, **kwargs) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs) -> "SegmenterTokenizer":
        return self

    def to_disk(self, path, **kwargs) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)

    def from_disk(self, path, **kwargs) -> "SegmenterTokenizer":
        return self


MIN_OFFICIAL_PLACE_CHARS = 3


def gazetteer_names() -> tuple[list[str], list[str]] | None:
    """``(agency names, place names)`` from ``corpus.gazetteer``, or None when it is unavailable.

    Agencies: every central agency name and alias. Places: official division names of at least
    :data:`MIN_OFFICIAL_PLACE_CHARS` characters (城区, 东区 are ordinary words), plus the short forms
    and aliases of provinces and prefectures (广东, 哈尔滨); county short forms (公安, 东方, 城关) are
    left out, as in ``Gazetteer.find_places``.
    """
    try:
        from zhengce.corpus.gazetteer import Gazetteer

        gazetteer = Gazetteer.default()
        agencies = [name for name, _ in gazetteer.agency_names()]
        places = []
        for name, codes in gazetteer.place_names():
            divisions = [d for d in (gazetteer.division(c) for c in codes) if d is not None]
            if any(name == d.name for d in divisions):
                if len(name) >= MIN_OFFICIAL_PLACE_CHARS:
                    places.append(name)
            elif divisions and all(d.kind != "county" for d in divisions) and len(name) >= 2:
                places.append(name)
    except (ImportError, AttributeError):
        return None
    return agencies, places


def default_names() -> tuple[list[str], list[str], str]:
    """``(agency names, place names, source)`` from the gazetteer, else the fallback hand list."""
    names = gazetteer_names()
    if names is not None:
        return names[0], names[1], "zhengce.corpus.gazetteer"
    entries = read_user_dict(NAMES_FALLBACK)
    return ([e.word for e in entries if e.tag == "nt"],
            [e.word for e in entries if e.tag == "ns"], NAMES_FALLBACK.name)


def short_place_names(places: Iterable[str]) -> list[str]:
    """Short forms of province-level names: 广东省 → 广东, 广西壮族自治区 → 广西, 北京市 → 北京."""
    out = []
    for name in places:
        if name in _MUNICIPALITIES:
            out.append(name[:-1])
            continue
        short = _PROVINCE_SUFFIX_RE.sub("", name)
        if short != name and len(short) >= 2:
            out.append(short)
    return out


def repost_patterns() -> list[dict]:
    """Token patterns for 转发 references (label REPOST)."""
    not_break = {"ORTH": {"NOT_IN": _BREAKS}}
    return [
        {"label": "REPOST", "id": "title",
         "pattern": [{"ORTH": "转发"}, {"ORTH": "《"}, {"ORTH": {"NOT_IN": ["》", "\n", "。"]}, "OP": "+"},
                     {"ORTH": "》"}]},
        {"label": "REPOST", "id": "title_before",  # 现将《…》转发给你们
         "pattern": [{"ORTH": "《"}, {"ORTH": {"NOT_IN": ["》", "\n", "。"]}, "OP": "+"},
                     {"ORTH": "》"}, {"ORTH": {"IN": ["转发", "转发给"]}}]},
        {"label": "REPOST", "id": "about",
         "pattern": [{"ORTH": "转发"}, {**not_break, "OP": "*"}, {"ORTH": "关于"},
                     {**not_break, "OP": "+"}, {"ORTH": "的"}, {"ORTH": {"IN": DOCUMENT_KINDS}}]},
    ]


class EntityExtractor:
    """Find agency, place and 转发 mentions; ``extractor(text)`` returns a list of :class:`Mention`.

    Parameters
    ----------
    segmenter : Segmenter, default ``Segmenter()`` (rjieba, the domain user dictionary)
    agencies, places : name lists; ``None`` → :func:`default_names` (gazetteer or fallback list)
    add_short_place_names : also match 广东 for 广东省 etc. (province level only; short county
        names such as 和平 are ordinary words)
    """

    def __init__(self, segmenter: Segmenter | None = None, agencies: Sequence[str] | None = None,
                 places: Sequence[str] | None = None, add_short_place_names: bool = True):
        try:
            import spacy
        except ImportError:
            raise UserError("entity extraction needs spaCy: pip install 'spacy>=3.7,<4'") from None
        self.segmenter = segmenter if segmenter is not None else Segmenter()
        if agencies is None or places is None:
            default_agencies, default_places, self.names_source = default_names()
            agencies = default_agencies if agencies is None else agencies
            places = default_places if places is None else places
        else:
            self.names_source = "given"
        places = list(dict.fromkeys(places))
        if add_short_place_names:
            places = list(dict.fromkeys([*places, *short_place_names(places)]))
        agencies = list(dict.fromkeys(agencies))
        overlap = set(agencies) & set(places)
        if overlap:
            raise UserError(f"names listed both as agency and as place: {sorted(overlap)[:5]}; "
                            "fix the gazetteer or the name lists")
        self.agencies, self.places = agencies, places
        self.normalizer = Normalizer(nfkc=True, strip_boilerplate=False, collapse_whitespace=False)
        nlp = spacy.blank("zh")
        nlp.tokenizer = SegmenterTokenizer(nlp.vocab, self.segmenter)
        ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
        ruler.add_patterns([{"label": "AGENCY", "pattern": name} for name in agencies]
                           + [{"label": "PLACE", "pattern": name} for name in places])
        span_ruler = nlp.add_pipe("span_ruler", config={"spans_key": REFERENCES_KEY})
        span_ruler.add_patterns(repost_patterns())
        self.nlp = nlp

    def _mentions(self, doc) -> list[Mention]:
        out = [Mention(label=ent.label_, text=ent.text, start=ent.start_char, end=ent.end_char)
               for ent in doc.ents]
        # Overlapping REPOST matches (e.g. 转发《…》 inside a longer 转发…关于…的通知): keep the longest.
        from spacy.util import filter_spans

        for span in filter_spans(list(doc.spans.get(REFERENCES_KEY, []))):
            text = span.text
            if "《" in text and "》" in text:
                target = text[text.index("《") + 1:text.rindex("》")]
            else:
                target = text[text.index("转发") + len("转发"):].strip()
            out.append(Mention(label="REPOST", text=span.text, start=span.start_char,
                               end=span.end_char, target=target))
        return sorted(out, key=lambda m: (m.start, -m.end, m.label))

    def __call__(self, text: str) -> list[Mention]:
        return self._mentions(self.nlp(self.normalizer.normalize(text or "")))

    def iter_documents(self, store, where: str | None = None, params: Sequence | None = None,
                       batch_size: int = 64) -> Iterator[tuple[str, list[Mention]]]:
        """``(doc_id, mentions)`` for the documents of a store (optionally filtered), streamed."""
        sql = "select doc_id, text from documents"
        if where:
            sql += f" where ({where})"
        sql += " order by doc_id"
        rows = store.db.conn.execute(sql, list(params or []))

        def stream():
            for doc_id, text in rows:
                yield self.normalizer.normalize(text or ""), doc_id

        for doc, doc_id in self.nlp.pipe(stream(), as_tuples=True, batch_size=batch_size):
            yield doc_id, self._mentions(doc)
