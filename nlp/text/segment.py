r"""Word segmentation, token filtering, and the token cache in the store.

The backends (rjieba by default, or jieba; identical tokens) and the user dictionary and
stopword files are in :mod:`zhengce.nlp.text.segment_backends`.

Token filtering (:meth:`Segmenter.keep`)
----------------------------------------
Whitespace tokens always go. Then, each switchable: tokens shorter than ``min_len`` characters;
tokens without a letter, digit or CJK character (punctuation); numbers (``2001``, ``12.5``) and
Chinese numeral expressions (``一百五十``, ``第三十二条``, ``十二月``, ``三十日``), except
five-year-plan labels (``十一五``); stopwords (stopwords-iso's Chinese list and
nlp/dictionaries/stopwords_policy.txt by default).

Token cache
-----------
:func:`segment_corpus` writes ``tokens(doc_id, config_hash, tokens, n_tokens, text_hash)`` with
primary key ``(doc_id, config_hash)``; ``config_hash`` covers the normalizer and the segmenter (its
backend and version, dictionary file hashes, HMM, filters). Only documents whose row is missing, or
whose raw-text hash changed, are segmented, so refitting a topic model never re-segments and editing
a dictionary re-segments everything under the new hash (old rows stay, keyed by the old hash).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from zhengce.common.errors import UserError
from zhengce.common import manifest
from zhengce.common.parallel import LocalExecutor, resolve_jobs
from zhengce.common.progress import Progress, format_seconds

from .normalize import Normalizer, RebuiltFromParams
# the dictionary-file names are imported from here too (tests, scripts): one place to look
from .segment_backends import (DEFAULT_POLICY_STOPWORDS, DEFAULT_STOPWORDS,  # noqa: F401
                               DEFAULT_USER_DICT, DEFAULT_USER_FREQ, STOPWORDS_ISO_ZH, UserWord,
                               _JiebaBackend, _RjiebaBackend, _sha256_file, _stopwords_iso_zh,
                               _version, read_user_dict, read_word_list)

log = logging.getLogger(__name__)

BACKENDS = ("rjieba", "jieba")
# Bump when filtering code changes in a way that changes its output.
FILTER_RULES_VERSION = 1
_KEEP_MEMO_SIZE = 1_000_000

_ARABIC_NUMBER_RE = re.compile(r"[0-9.,%+\-/:]+")
_CHINESE_NUMERAL_RE = re.compile(r"第?[〇零一二三四五六七八九十百千万亿两]+[条款项章节编年月日号次个届批期]?")
_FIVE_YEAR_PLAN_RE = re.compile(r"十?[一二三四五六七八九]五")


def raw_text_sha256(text: str) -> str:
    """SHA-256 of the raw text (UTF-8): what the token cache compares to detect changed documents."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Segmenter
# ---------------------------------------------------------------------------------------------

def _as_paths(value, default: Sequence[str | Path], what: str) -> list[str]:
    if value is None:
        return [str(p) for p in default]
    if value is False:
        return []
    if isinstance(value, (str, Path)):
        return [str(value)]
    try:
        return [str(v) for v in value]
    except TypeError:
        raise UserError(f"{what} must be a path, a list of paths, None (default) or False (none); "
                        f"got {value!r}") from None


class Segmenter(RebuiltFromParams):
    """Segment Chinese text into filtered tokens; ``segmenter(text)`` is :meth:`tokens`.

    Parameters
    ----------
    backend : {'rjieba', 'jieba'}
        rjieba (jieba-rs) is much faster and gives identical tokens (docs/scaling.md;
        :mod:`zhengce.nlp.text.segment_backends`).
    user_dict : path, list of paths, None or False
        ``None`` → ``nlp/dictionaries/userdict.txt``; ``False`` or ``[]`` → none. Several files are
        loaded in order; a later file's line for the same word wins.
    stopwords : source, list of sources, None or False
        A source is a file (one word a line) or ``'stopwords-iso:zh'``. ``None`` → stopwords-iso's
        Chinese list plus ``nlp/dictionaries/stopwords_policy.txt``; ``False`` → none.
    hmm : bool
        jieba's HMM new-word discovery (default off; recorded in the config hash).
    min_len : int
        Drop tokens shorter than this many characters (2 drops single characters).
    keep_pos : iterable of str or None
        Keep only tokens whose part-of-speech tag starts with one of these (e.g. ``['n', 'v']``);
        uses the backend's tagger. ``None`` → no POS filter (plain segmentation).
    drop_numbers, drop_punct : bool
        Drop numbers / Chinese numeral expressions, and tokens without letters, digits or CJK.
    """

    def __init__(self, backend: str = "rjieba", user_dict=None, stopwords=None, hmm: bool = False,
                 min_len: int = 2, keep_pos: Iterable[str] | None = None,
                 drop_numbers: bool = True, drop_punct: bool = True):
        if backend not in BACKENDS:
            raise UserError(f"unknown segmenter backend {backend!r}; use one of {', '.join(BACKENDS)}")
        if not isinstance(hmm, bool):
            raise UserError(f"hmm must be True or False, got {hmm!r}")
        if not isinstance(min_len, int) or min_len < 1:
            raise UserError(f"min_len must be a positive integer, got {min_len!r}")
        self.backend = backend
        self.user_dict = _as_paths(user_dict, [DEFAULT_USER_DICT], "user_dict")
        self.stopwords_sources = _as_paths(stopwords, DEFAULT_STOPWORDS, "stopwords")
        self.hmm = hmm
        self.min_len = min_len
        self.keep_pos = tuple(sorted(set(keep_pos))) if keep_pos is not None else None
        if self.keep_pos is not None and not self.keep_pos:
            raise UserError("keep_pos is empty, which would drop every token; use None for no POS filter")
        self.drop_numbers = bool(drop_numbers)
        self.drop_punct = bool(drop_punct)

        # Read and validate every file now, so mistakes surface before any segmentation.
        self._user_words: dict[str, UserWord] = {}
        self._user_dict_files: list[dict] = []
        for p in self.user_dict:
            path = Path(p)
            entries = read_user_dict(path)
            for entry in entries:
                self._user_words[entry.word] = entry
            self._user_dict_files.append({"name": path.name, "sha256": _sha256_file(path),
                                          "n_words": len(entries)})
        stop: set[str] = set()
        self._stopword_files: list[dict] = []
        for source in self.stopwords_sources:
            if source == STOPWORDS_ISO_ZH:
                words = _stopwords_iso_zh()
                self._stopword_files.append({"name": STOPWORDS_ISO_ZH,
                                             "version": _version("stopwordsiso"), "n_words": len(words)})
            else:
                path = Path(source)
                words = set(read_word_list(path))
                self._stopword_files.append({"name": path.name, "sha256": _sha256_file(path),
                                             "n_words": len(words)})
            stop |= words
        self.stopwords: frozenset[str] = frozenset(stop)
        self._keep_memo: dict[str, bool] = {}
        self._backend = None

    # -- construction of the backend (lazy: workers and pickles rebuild it) ----------------------
    @property
    def engine(self):
        if self._backend is None:
            engine = _RjiebaBackend() if self.backend == "rjieba" else _JiebaBackend()
            for entry in self._user_words.values():
                tag = entry.tag or "x"
                if entry.freq is None:
                    if engine.has_word(entry.word):
                        continue  # already a word: keep jieba's own frequency
                    engine.add_word(entry.word, DEFAULT_USER_FREQ, tag)
                else:
                    engine.add_word(entry.word, entry.freq, tag)
            self._backend = engine
        return self._backend

    @property
    def user_words(self) -> dict[str, UserWord]:
        return dict(self._user_words)

    def params(self) -> dict:
        """Constructor arguments (paths as strings): enough to rebuild this segmenter."""
        return {"backend": self.backend, "user_dict": list(self.user_dict),
                "stopwords": list(self.stopwords_sources), "hmm": self.hmm,
                "min_len": self.min_len,
                "keep_pos": list(self.keep_pos) if self.keep_pos is not None else None,
                "drop_numbers": self.drop_numbers, "drop_punct": self.drop_punct}

    def config(self) -> dict:
        """Everything that determines the tokens; file names and hashes, not machine paths."""
        return {
            "filter_rules_version": FILTER_RULES_VERSION,
            "backend": self.backend,
            "backend_version": (_RjiebaBackend if self.backend == "rjieba" else _JiebaBackend).version(),
            "default_user_freq": DEFAULT_USER_FREQ,
            "user_dicts": self._user_dict_files,
            "stopwords": self._stopword_files,
            "stopwords_sha256": hashlib.sha256(
                "\n".join(sorted(self.stopwords)).encode("utf-8")).hexdigest(),
            "hmm": self.hmm,
            "min_len": self.min_len,
            "keep_pos": list(self.keep_pos) if self.keep_pos is not None else None,
            "drop_numbers": self.drop_numbers,
            "drop_punct": self.drop_punct,
        }


    # -- segmentation ---------------------------------------------------------------------------
    def raw_tokens(self, text: str) -> list[str]:
        """Unfiltered segmentation (whitespace and punctuation included): what parity compares."""
        return self.engine.cut(text, self.hmm)

    def keep(self, token: str) -> bool:
        """The token filter (module docstring)."""
        if not token or any(ch.isspace() for ch in token):
            return False
        if len(token) < self.min_len:
            return False
        if self.drop_punct and not any(ch.isalnum() for ch in token):
            return False
        if self.drop_numbers and (
                _ARABIC_NUMBER_RE.fullmatch(token)
                or (_CHINESE_NUMERAL_RE.fullmatch(token) and not _FIVE_YEAR_PLAN_RE.fullmatch(token))):
            return False
        return token not in self.stopwords

    def _kept(self, token: str) -> bool:
        # The filter decision depends on the token only, and a corpus has far fewer distinct tokens
        # than tokens: memoising makes filtering ~5x faster. The memo is bounded.
        decision = self._keep_memo.get(token)
        if decision is None:
            if len(self._keep_memo) >= _KEEP_MEMO_SIZE:
                self._keep_memo.clear()
            decision = self._keep_memo[token] = self.keep(token)
        return decision

    def tokens(self, text: str) -> list[str]:
        """Filtered tokens of ``text`` (which should already be normalized)."""
        kept = self._kept
        if self.keep_pos is None:
            return [t for t in self.engine.cut(text, self.hmm) if kept(t)]
        prefixes = self.keep_pos
        return [w for w, pos in self.engine.tag(text, self.hmm)
                if pos.startswith(prefixes) and kept(w)]

    __call__ = tokens

    def has_word(self, word: str) -> bool:
        """Is ``word`` in the segmenter's vocabulary (built-in or user dictionary)?"""
        return self.engine.has_word(word)

    def split(self, word: str) -> list[str]:
        """How the segmenter cuts ``word`` on its own; more than one piece = it is split."""
        return self.raw_tokens(word)


def token_config_hash(normalizer: Normalizer, segmenter: Segmenter) -> str:
    """The key of the token cache: normalizer and segmenter configuration together."""
    return manifest.config_hash({"normalizer": normalizer.config(), "segmenter": segmenter.config()})


# ---------------------------------------------------------------------------------------------
# Token cache
# ---------------------------------------------------------------------------------------------

def register_config(store, normalizer: Normalizer, segmenter: Segmenter) -> str:
    """Store the configuration behind a token config hash; returns the hash."""
    from zhengce.corpus.store import utcnow

    config_hash = token_config_hash(normalizer, segmenter)
    if store.db["segmenter_configs"].count_where("config_hash = ?", [config_hash]) == 0:
        config = {"normalizer": {"config": normalizer.config(), "params": normalizer.params()},
                  "segmenter": {"config": segmenter.config(), "params": segmenter.params()}}
        store.db["segmenter_configs"].insert(
            {"config_hash": config_hash, "created_at": utcnow(),
             "config": json.dumps(config, ensure_ascii=False, sort_keys=True)},
            pk="config_hash")
    return config_hash


def load_pipeline(store, config_hash: str) -> tuple[Normalizer, Segmenter]:
    """Rebuild the normalizer and segmenter behind ``config_hash`` from ``segmenter_configs``.

    Raises :class:`UserError` when the dictionary or pattern files have changed since (the rebuilt
    hash differs), because the cached tokens would not be what the rebuilt segmenter produces.
    """
    rows = list(store.db.query("select config from segmenter_configs where config_hash = ?",
                               [config_hash]))
    if not rows:
        raise UserError(f"no segmenter configuration {config_hash!r} in this store; run "
                        "segment_corpus first or check the hash (table segmenter_configs)")
    config = json.loads(rows[0]["config"])
    normalizer = Normalizer(**config["normalizer"]["params"])
    segmenter = Segmenter(**config["segmenter"]["params"])
    rebuilt = token_config_hash(normalizer, segmenter)
    if rebuilt != config_hash:
        raise UserError(f"the files behind token config {config_hash} have changed (they now give "
                        f"{rebuilt}); pass the segmenter explicitly or re-run segment_corpus")
    return normalizer, segmenter


_WORKER: dict = {}


def _init_worker(normalizer_params: dict, segmenter_params: dict) -> None:
    """Pool initializer: build the normalizer and segmenter once per worker process."""
    normalizer = Normalizer(**normalizer_params)
    segmenter = Segmenter(**segmenter_params)
    segmenter.engine  # load the dictionary now, not inside the first batch
    _WORKER["normalizer"] = normalizer
    _WORKER["segmenter"] = segmenter


def _segment_batch(batch: list[tuple[str, str]], config_hash: str,
                   normalizer: Normalizer | None = None,
                   segmenter: Segmenter | None = None) -> tuple[list[dict], int, Counter]:
    normalizer = normalizer or _WORKER["normalizer"]
    segmenter = segmenter or _WORKER["segmenter"]
    rows, n_bytes, removed = [], 0, Counter()
    for doc_id, text in batch:
        text = text or ""
        n_bytes += len(text.encode("utf-8", "surrogatepass"))
        normalized = normalizer(text)
        removed.update(kind for kind, _ in normalized.removed)
        toks = segmenter.tokens(normalized.text)
        rows.append({"doc_id": doc_id, "config_hash": config_hash, "tokens": " ".join(toks),
                     "n_tokens": len(toks), "text_hash": raw_text_sha256(text)})
    return rows, n_bytes, removed


def _segment_batch_remote(batch: list[tuple[str, str]], config_hash: str):
    """In a pool worker: :func:`_segment_batch` plus this worker's peak memory."""
    from zhengce.common.memory import process_peak

    return (*_segment_batch(batch, config_hash), process_peak("segment worker"))


def _segment_batch_here(batch: list[tuple[str, str]], config_hash: str, normalizer: Normalizer,
                        segmenter: Segmenter):
    """In this process: :func:`_segment_batch` (no worker peak to report)."""
    return (*_segment_batch(batch, config_hash, normalizer, segmenter), None)


def _stale_documents(store, config_hash: str, where: str | None, params) -> tuple[list[str], dict]:
    """doc_ids whose cached tokens are missing or were made from a different text."""
    conn = store.db.conn
    conn.create_function("zc_text_sha256", 1,
                         lambda t: raw_text_sha256(t) if t is not None else raw_text_sha256(""),
                         deterministic=True)
    sql = ("select d.doc_id, zc_text_sha256(d.text) as h, t.text_hash as cached "
           "from documents d left join tokens t on t.doc_id = d.doc_id and t.config_hash = ?")
    args: list = [config_hash]
    if where:
        sql += f" where ({where})"
        args += list(params or [])
    sql += " order by d.doc_id"
    stale, counts = [], Counter()
    for doc_id, current, cached in conn.execute(sql, args):
        if cached is None:
            counts["missing"] += 1
            stale.append(doc_id)
        elif cached != current:
            counts["changed"] += 1
            stale.append(doc_id)
        else:
            counts["cached"] += 1
    return stale, {"n_documents": sum(counts.values()), "n_missing": counts["missing"],
                   "n_changed": counts["changed"], "n_cached": counts["cached"]}


def _batches_of_texts(store, doc_ids: list[str], batch_size: int) -> Iterator[list[tuple[str, str]]]:
    for start in range(0, len(doc_ids), batch_size):
        ids = doc_ids[start:start + batch_size]
        marks = ",".join("?" * len(ids))
        rows = store.db.conn.execute(
            f"select doc_id, text from documents where doc_id in ({marks})", ids).fetchall()
        order = {doc_id: i for i, doc_id in enumerate(ids)}
        rows.sort(key=lambda r: order[r[0]])
        yield rows


def segment_corpus(store, segmenter: Segmenter | None = None, normalizer: Normalizer | None = None,
                   *, n_jobs: int | None = None, batch_size: int = 200, where: str | None = None,
                   params: Sequence | None = None,
                   progress: Callable[[dict], None] | None = None) -> dict:
    """Segment every document whose cached tokens are missing or stale; return a summary.

    Parameters
    ----------
    store : corpus.store.Store
    segmenter, normalizer : default ``Segmenter()`` / ``Normalizer()``.
    n_jobs : worker processes; ``None`` → all cores. Workers build the segmenter once (executor
        initializer); the calling process is the only writer and inserts one batch per transaction.
    batch_size : documents per task and per insert.
    where, params : optional SQL filter on ``documents`` (alias ``d``; e.g. ``"d.level = ?"``,
        ``["central"]``).
    progress : called after each batch with ``done, total, elapsed_s, docs_per_s, mb_per_s,
        eta_s``. On a terminal a progress bar is shown whether or not it is given.

    Returns a dict: ``config_hash``, ``run_id``, ``n_documents``, ``n_segmented``, ``n_missing``,
    ``n_changed``, ``n_cached``, ``seconds`` (segmenting and writing), ``scan_seconds`` (finding
    stale documents: every raw text is hashed), ``docs_per_s``, ``mb_per_s``, ``n_jobs``, ``removed``
    (boilerplate matches by kind) and ``line`` (a one-line summary).
    """
    segmenter = segmenter if segmenter is not None else Segmenter()
    normalizer = normalizer if normalizer is not None else Normalizer()
    if not isinstance(batch_size, int) or batch_size < 1:
        raise UserError(f"batch_size must be a positive integer, got {batch_size!r}")
    n_jobs = resolve_jobs(n_jobs)
    config_hash = register_config(store, normalizer, segmenter)
    scan_started = time.perf_counter()
    stale, counts = _stale_documents(store, config_hash, where, params)
    scan_seconds = time.perf_counter() - scan_started
    run_params = {"config_hash": config_hash, "n_jobs": n_jobs, "batch_size": batch_size,
                  "where": where, "where_params": list(params or []),
                  "normalizer": normalizer.config(), "segmenter": segmenter.config()}
    inputs, packages = _run_inputs(normalizer, segmenter)
    use_pool = n_jobs > 1 and len(stale) > batch_size
    with store.run("segment", run_params, inputs=inputs, packages=packages) as run:
        done = _SegmentTally(len(stale), progress)
        with _segment_executor(use_pool, n_jobs, normalizer, segmenter) as executor:
            task = (partial(_segment_batch_remote, config_hash=config_hash) if use_pool else
                    partial(_segment_batch_here, config_hash=config_hash, normalizer=normalizer,
                            segmenter=segmenter))
            for rows, n_bytes, removed, peak in executor.map(
                    task, _batches_of_texts(store, stale, batch_size)):
                run.memory.add(peak)
                with store.db.conn:
                    store.db["tokens"].upsert_all(rows, pk=("doc_id", "config_hash"))
                done.add(len(rows), n_bytes, removed)
        summary = done.summary(config_hash, run, counts, scan_seconds, n_jobs if use_pool else 1)
        run.summary.update(summary)
    log.info(summary["line"])
    return summary


def _run_inputs(normalizer: Normalizer, segmenter: Segmenter) -> tuple[dict, list[str]]:
    """The files and packages a segmentation run depends on (for its manifest)."""
    inputs = {f"user_dict:{Path(p).name}": p for p in segmenter.user_dict}
    inputs.update({f"stopwords:{Path(s).name}": s for s in segmenter.stopwords_sources
                   if s != STOPWORDS_ISO_ZH})
    if normalizer.strip_boilerplate:
        inputs["boilerplate"] = str(normalizer.patterns_file)
    packages = ["jieba", "rjieba", "stopwordsiso"] + (["opencc-python-reimplemented"]
                                                      if normalizer.t2s else [])
    return inputs, packages


def _segment_executor(use_pool: bool, n_jobs: int, normalizer: Normalizer,
                      segmenter: Segmenter) -> LocalExecutor:
    """Worker processes that each build the normalizer and segmenter once, or this process."""
    if not use_pool:
        segmenter.engine   # load the dictionary now, not inside the first batch
        return LocalExecutor(1)
    # Batches are read here (SQLite connections stay in this process and thread) and kept at
    # most 2 per worker in flight (the executor's window), so memory stays bounded.
    return LocalExecutor(n_jobs, initializer=_init_worker,
                         initargs=(normalizer.params(), segmenter.params()),
                         what="segment worker", fix="rerun with fewer --jobs")


class _SegmentTally:
    """Documents, bytes and boilerplate removed so far; the progress bar and caller's callback."""

    def __init__(self, total: int, callback: Callable[[dict], None] | None):
        self.total, self.callback = total, callback
        self.done, self.n_bytes, self.removed = 0, 0, Counter()
        self.started = time.perf_counter()
        self.bar = Progress("segment", total=total, unit="doc")

    def add(self, n_docs: int, n_bytes: int, removed: Counter) -> None:
        self.done += n_docs
        self.n_bytes += n_bytes
        self.removed.update(removed)
        elapsed = time.perf_counter() - self.started
        mb_per_s = self.n_bytes / 1e6 / elapsed if elapsed > 0 else 0.0
        self.bar.update(n_docs, MB_per_s=f"{mb_per_s:.2f}")
        if self.callback is not None:
            rate = self.done / elapsed if elapsed > 0 else 0.0
            self.callback({"done": self.done, "total": self.total, "elapsed_s": elapsed,
                           "docs_per_s": rate, "mb_per_s": mb_per_s,
                           "eta_s": (self.total - self.done) / rate if rate > 0 else 0.0})

    def summary(self, config_hash: str, run, counts: dict, scan_seconds: float,
                n_jobs: int) -> dict:
        self.bar.close()
        seconds = time.perf_counter() - self.started
        done = self.done
        summary = {"config_hash": config_hash, "run_id": run.run_id, **counts,
                   "n_segmented": done, "seconds": round(seconds, 3),
                   "scan_seconds": round(scan_seconds, 3),
                   "docs_per_s": round(done / seconds, 1) if seconds > 0 and done else 0.0,
                   "mb_per_s": round(self.n_bytes / 1e6 / seconds, 3) if seconds > 0 and done else 0.0,
                   "n_jobs": n_jobs, "removed": dict(sorted(self.removed.items())),
                   "peak_memory": run.memory.finish().as_dict()}
        summary["line"] = (
            f"segment {config_hash}: {done:,} of {counts['n_documents']:,} documents segmented "
            f"({counts['n_missing']:,} new, {counts['n_changed']:,} changed text, "
            f"{counts['n_cached']:,} cached) in {format_seconds(seconds)} "
            f"(+{scan_seconds:.1f} s checking text hashes), "
            f"{summary['docs_per_s']:,.0f} docs/s, {summary['mb_per_s']:.2f} MB/s, "
            f"{summary['n_jobs']} process(es); {run.memory.line()}")
        return summary
