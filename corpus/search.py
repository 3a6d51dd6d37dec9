"""Full-text search over the store: the query language, the total count, safe output.

The index (:mod:`.fts`) holds a segmented, space-joined copy of each title and body. A user query
is read as a small language and turned into an FTS5 expression whose every token is quoted, so
user punctuation can never break the FTS syntax:

* several words → documents containing **all** of them, anywhere (``产业政策 补贴``);
* ``A OR B`` (the word OR in capitals) → either; OR binds tighter than the implicit AND, as in web
  search: ``产业政策 补贴 OR 补助`` = 产业政策 and (补贴 or 补助);
* ``"..."`` (or “...”) → an exact phrase: its words next to each other, in that order.

A word the index split (淘汰落后产能 → 淘汰 落后 产能) still matches, because each word is split
the same way and its pieces are matched as a phrase.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable

from zhengce.common.errors import UserError
from .fts import restore_fts_triggers, segment_for_index
from .store import Store
from .tagging.traditional import to_simplified

#: the most rows one search returns (``--limit``); the total count is always given in full
MAX_LIMIT = 100_000

_TERMS = re.compile(r'"([^"]*)"|“([^”]*)”|(\S+)')


@dataclass
class SearchResult:
    """The rows shown (best first, at most ``limit``) and how many documents match in all."""

    query: str
    expression: str
    total: int
    rows: list[dict] = field(default_factory=list)


def _quote(tokens: list[str]) -> str:
    return '"' + " ".join(t.replace('"', '""') for t in tokens) + '"'


def _alternatives(text: str, quoted: bool, expand: Callable[[str], list[str]] | None) -> list[str]:
    """The FTS5 phrases that one term of the query matches (empty: nothing to look for)."""
    tokens = segment_for_index(text).split()
    if not tokens:
        return []
    if quoted or len(tokens) > 1 or expand is None:
        return [_quote(tokens)]
    # one index word: it also matches the index words that contain it (补贴 → 财政补贴, 反补贴),
    # as a reader of Chinese expects; the index keeps such compounds whole
    return [_quote([term]) for term in (expand(tokens[0]) or [tokens[0]])]


def fts_query(query: str, expand: Callable[[str], list[str]] | None = None) -> str:
    """The FTS5 expression for a user query (see the module docstring for the language).

    ``expand(word)`` lists the index words containing ``word`` (:func:`index_words_containing`);
    without it a word matches only itself.
    """
    items: list[list[str] | None] = []  # each term's alternatives; None for an OR
    for match in _TERMS.finditer(query):
        quoted = match.group(1) if match.group(1) is not None else match.group(2)
        if quoted is None and match.group(3) == "OR":
            items.append(None)
            continue
        alternatives = _alternatives(quoted if quoted is not None else match.group(3),
                                     quoted is not None, expand)
        if alternatives:  # a term of punctuation only has nothing to look for
            items.append(alternatives)
    # OR is an operator only between two terms; elsewhere it is the word "or"
    is_or = [item is None and 0 < i < len(items) - 1 and items[i - 1] is not None
             and items[i + 1] is not None for i, item in enumerate(items)]
    groups: list[list[str]] = []  # AND of groups; each group is an OR of phrases
    for i, item in enumerate(items):
        if is_or[i]:
            continue
        alternatives = _alternatives("or", False, expand) if item is None else item
        if i > 0 and is_or[i - 1]:
            groups[-1].extend(alternatives)
        else:
            groups.append(list(alternatives))
    if not groups:
        raise UserError(f"the search {query!r} has no words to look for: give a Chinese term, "
                        "e.g. 出口退税")
    parts = [group[0] if len(group) == 1 else "(" + " OR ".join(group) + ")" for group in groups]
    return " AND ".join(parts)


def index_words_containing(store: Store) -> Callable[[str], list[str]]:
    """``word -> the words of the search index that contain it`` (one scan of the index's
    vocabulary per word: about 0.3 s for LawRefBook's 39,000 words)."""
    store.db.execute("create virtual table if not exists temp.search_index_words "
                     "using fts5vocab(main, 'search_index_fts', 'row')")

    def expand(word: str) -> list[str]:
        return [row[0] for row in store.db.execute(
            "select term from temp.search_index_words where instr(term, ?) > 0 order by term",
            [word.lower()])]

    return expand


def check_limit(limit: int) -> int:
    """``limit`` if it is a usable row count, else a one-line :class:`UserError`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise UserError(f"--limit {limit}: give a number of rows from 1 to {MAX_LIMIT:,} "
                        "(the total count of matches is printed anyway)")
    return limit


def search(store: Store, query: str, *, limit: int = 20, where: str | None = None,
           params: list | None = None) -> SearchResult:
    """Documents matching ``query`` (best first, at most ``limit``), with a highlighted snippet
    of the body, and the total number of matching documents."""
    check_limit(limit)
    restore_fts_triggers(store)  # an index left stale by a crashed bulk load would miss rows
    # the index holds Simplified text (Traditional documents are converted): so is the query
    expr = fts_query(to_simplified(query), index_words_containing(store))
    condition = f"search_index_fts match ? {('and ' + where) if where else ''}"
    joins = """from search_index_fts
        join search_index s on s.rowid = search_index_fts.rowid
        join documents d on d.doc_id = s.doc_id"""
    total = store.db.execute(f"select count(*) {joins} where {condition}",
                             [expr, *(params or [])]).fetchone()[0]
    sql = f"""
        select d.doc_id, d.title, d.level, d.province, d.year, d.issuer_raw, d.doc_number,
               snippet(search_index_fts, 1, '[', ']', '…', 16) as snippet,
               bm25(search_index_fts) as rank
        {joins}
        where {condition}
        order by rank
        limit ?
    """
    rows = store.db.execute(sql, [expr, *(params or []), limit]).fetchall()
    cols = ["doc_id", "title", "level", "province", "year", "issuer", "doc_number", "snippet",
            "rank"]
    out = []
    for row in rows:
        item = dict(zip(cols, row))
        item["snippet"] = item["snippet"].replace(" ", "") if item["snippet"] else ""
        out.append(item)
    return SearchResult(query=query, expression=expr, total=total, rows=out)


def terminal_safe(text: str | None) -> str:
    """``text`` without control and format characters (ESC sequences, bidi overrides, NUL…),
    newlines and tabs as spaces: stored titles come from crawled pages and must not drive the
    terminal they are printed on."""
    if not text:
        return ""
    out = []
    for ch in text:
        if ch in "\t\n\r":
            out.append(" ")
        elif unicodedata.category(ch) not in ("Cc", "Cf"):
            out.append(ch)
    return "".join(out)


def json_lines(result: SearchResult) -> str:
    """The result as one JSON document (C1 control characters escaped as well as C0)."""
    text = json.dumps({"query": result.query, "expression": result.expression,
                       "total": result.total, "rows": result.rows},
                      ensure_ascii=False, indent=2)
    return re.sub("[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)
