"""Full-text search that works for Chinese.

SQLite FTS5's default tokenizer finds nothing in unsegmented Chinese and trigram misses
two-character words, so the store indexes a *segmented, space-joined* copy of each title and
body (``search_index``) with the ``unicode61`` tokenizer. Queries are segmented the same way and
every token is quoted (``quote=True``), so user punctuation can never break the FTS syntax.

The index segmenter is the corpus layer's own (a private ``rjieba.Jieba`` instance, HMM off, no
user dictionary); the NLP stage has its own configurable segmenter and token cache. Searching for
a word the index split (e.g. 淘汰落后产能 → 淘汰 落后 产能) still matches, because the query is
split the same way and the tokens are matched as a phrase.
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache

from .store import Store

_NON_WORD = frozenset(ch for ch in map(chr, range(0x10000))
                      if unicodedata.category(ch)[0] in "PSZC")


@lru_cache(maxsize=1)
def _segmenter():
    try:
        import rjieba

        instance = rjieba.Jieba()
        return lambda text: instance.cut(text, False)
    except ImportError:  # rjieba is a core dependency, but keep the index usable without it
        import jieba

        tok = jieba.Tokenizer()
        return lambda text: tok.lcut(text, HMM=False)


def segment_for_index(text: str) -> str:
    """Space-joined tokens of ``text`` (punctuation and whitespace dropped)."""
    if not text:
        return ""
    cut = _segmenter()
    # A token is dropped when it starts and ends with punctuation/whitespace (jieba emits runs
    # of punctuation as tokens); two set lookups per token are much cheaper than a regex.
    return " ".join(t for t in cut(text) if not (t[0] in _NON_WORD and t[-1] in _NON_WORD))


STALE_KEY = "fts_triggers_suspended"


def suspend_fts_triggers(store: Store) -> None:
    """Drop the search_index FTS triggers for a bulk load, remembering their SQL in
    ``zhengce_meta`` so :func:`restore_fts_triggers` can put them back and rebuild the index
    (after a crash: before the next load or search)."""
    db = store.db
    triggers = db.execute("select name, sql from sqlite_master where type = 'trigger' "
                          "and tbl_name = 'search_index'").fetchall()
    if not triggers:
        return
    with db.conn:
        db["zhengce_meta"].upsert({"key": STALE_KEY, "value": json.dumps([sql for _, sql in triggers])},
                                  pk="key")
        for name, _ in triggers:
            db.execute(f"drop trigger [{name}]")


def restore_fts_triggers(store: Store) -> None:
    """Rebuild the FTS index from search_index and recreate the triggers (idempotent)."""
    db = store.db
    row = db.execute("select value from zhengce_meta where key = ?", [STALE_KEY]).fetchone()
    if not row:
        return
    with db.conn:
        db.execute("insert into search_index_fts(search_index_fts) values ('rebuild')")
        for sql in json.loads(row[0]):
            db.execute(sql)
        db.execute("delete from zhengce_meta where key = ?", [STALE_KEY])
