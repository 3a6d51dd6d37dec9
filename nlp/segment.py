r"""Word segmentation with jieba or rjieba, token filtering, and the token cache in the store.

Backends
--------
``rjieba`` (default) is a binding of jieba-rs, a Rust port of jieba; ``jieba`` is the original
Python package (0.42.1). Both are used through private instances — ``rjieba.Jieba()`` and
``jieba.Tokenizer()`` — never the module-level globals, which every importer shares (spaCy's own
jieba mode uses the global one). jieba's prefix-dictionary cache goes to the project cache folder
(``$ZHENGCE_CACHE/jieba``, default ``~/.cache/zhengce/jieba``) instead of the shared /tmp file.

Both backends load the same built-in dictionary (jieba's dict.txt, 349,046 words) and the same user
dictionaries, parsed here (not by jieba.load_userdict) so that both receive identical
``(word, frequency, tag)`` triples:

* a line ``word freq [tag]`` sets the word's frequency to ``freq`` (which *replaces* a built-in
  frequency);
* a line ``word [tag]`` without a frequency leaves a word jieba already knows untouched and adds a
  new word with :data:`DEFAULT_USER_FREQ` (jieba would compute ``suggest_freq`` against the
  dictionary as it stands at that line, which depends on line order and rounds differently in the
  two implementations).

HMM (jieba's new-word discovery) is off by default (``hmm=False``) because it invents words in
formal text; the choice is part of the config hash.

Parity of the two backends (measured; tests/nlp/test_segment.py, tests/bench/bench_segment.py)
-------------------------------------------------------------------------------------------------
On the LawRefBook corpus (3,284 laws, 18.9 M characters, 54 MB), raw tokens before filtering,
jieba 0.42.1 vs rjieba 0.2.2:

* HMM off (the default), without a user dictionary: 3,284 / 3,284 documents identical;
* HMM off, with nlp/dictionaries/userdict.txt (554 words: policy terms, scheme seeds, gazetteer
  agency and place names): 3,284 / 3,284 identical (10,387,730 tokens each) — rjieba is therefore
  the default backend;
* HMM on (same dictionary): 3,262 / 3,284 identical (0.9933). Every difference is a run of Latin letters, digits and
  punctuation that is not a dictionary word: jieba hands it to ``finalseg``, which splits it with
  ``([a-zA-Z0-9]+(?:\.\d+)?%?)`` (``1.0cm`` → ``1.0`` ``cm``; ``2022-03-15`` → ``2022`` ``-``
  ``03`` …; ``github.com`` → ``github`` ``.`` ``com``), while jieba-rs keeps the run whole. This is
  fixed by configuration: HMM stays off.

Differences that exist in the code and are neutralised here: jieba's ``add_word`` adds the new
frequency to the dictionary total without subtracting the frequency it replaces
(``self.total += freq``) while jieba-rs keeps the true sum; the total enters every path score
(``log(freq) - log(total)`` per word), so :class:`_JiebaBackend` subtracts the replaced frequency
(with this user dictionary the difference changed no token either way). jieba-rs's ``add_word``
keeps a known word's built-in POS tag where jieba records the user tag (严格控制: ``n`` vs ``nz``);
the jieba backend keeps the built-in tag too. A user word of frequency 0 means "force split" in
jieba and "never" in jieba-rs: refused. jieba-rs's run pattern also covers CJK Extension A,
U+9FD6–9FFF and compatibility ideographs, where jieba stops at U+9FD5 (none occur in LawRefBook;
NFKC maps compatibility ideographs to unified ones). POS tagging (``keep_pos``) goes through
``jieba.posseg``, whose run pattern differs from ``Tokenizer.cut`` (it splits at ``%`` and ``-``):
parity is claimed for plain segmentation only.

Speed (tests/bench/bench_segment.py; each backend alone in a fresh process, only the segmenter
call timed, rjieba before and after jieba, quiet 2-core machine, 2026-12-06): on the 43,000-document
real-text benchmark corpus (329 MB UTF-8) rjieba 11.0 / 11.4 s = 28.9 MB/s (slower pass) vs jieba
240.9 s = 1.37 MB/s: 21.1x, 43,000 / 43,000 documents identical (62,766,655 tokens each). Timing the
two backends document by document in one process (as the benchmark once did) made rjieba ~40 %
slower (14.8x): jieba's Python objects push rjieba's dictionary out of the CPU caches between
calls. On the 3,284 whole laws: 25.5x on the quietest run. The whole pipeline of
:func:`segment_corpus` (normalise, segment, filter, write) ran at 10.6 MB/s (1,388 documents/s) on
two worker processes, peak RSS 146 MB (parent) and 153 MB (each worker).

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
primary key ``(doc_id, config_hash)``; ``config_hash`` covers the normaliser and the segmenter (its
backend and version, dictionary file hashes, HMM, filters). Only documents whose row is missing, or
whose raw-text hash changed, are segmented, so refitting a topic model never re-segments and editing
a dictionary re-segments everything under the new hash (old rows stay, keyed by the old hash).
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import re
import sys
import time
import unicodedata
from collections import Counter, deque
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from zhengce.common.errors import UserError

from .normalize import Normalizer

log = logging.getLogger(__name__)

DICTIONARIES = Path(__file__).resolve().parent / "dictionaries"
DEFAULT_USER_DICT = DICTIONARIES / "userdict.txt"
DEFAULT_POLICY_STOPWORDS = DICTIONARIES / "stopwords_policy.txt"
STOPWORDS_ISO_ZH = "stopwords-iso:zh"
DEFAULT_STOPWORDS = (STOPWORDS_ISO_ZH, str(DEFAULT_POLICY_STOPWORDS))
BACKENDS = ("rjieba", "jieba")
# Frequency for a new user word given without one (also build_userdict.py's floor). jieba's
# dictionary total is about 60 million; 1000 is roughly the frequency of 振兴 or 培育: high enough
# for a user word to win over its pieces in context, low enough not to swallow longer built-in
# words such as 产品质量法 (measured on LawRefBook: see build_userdict.py).
DEFAULT_USER_FREQ = 1000
# Bump when filtering code changes in a way that changes its output.
FILTER_RULES_VERSION = 1
CACHE_ENV_VAR = "ZHENGCE_CACHE"
_KEEP_MEMO_SIZE = 1_000_000

# jieba's own run pattern (re_han_default): a user word outside it can never be produced.
_JIEBA_WORD_CHARS_RE = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")
_TAG_RE = re.compile(r"[A-Za-z]+")
_INT_RE = re.compile(r"[0-9]+")
_ARABIC_NUMBER_RE = re.compile(r"[0-9.,%+\-/:]+")
_CHINESE_NUMERAL_RE = re.compile(r"第?[〇零一二三四五六七八九十百千万亿两]+[条款项章节编年月日号次个届批期]?")
_FIVE_YEAR_PLAN_RE = re.compile(r"十?[一二三四五六七八九]五")


def cache_dir(sub: str | None = None) -> Path:
    """The project cache folder: ``$ZHENGCE_CACHE``, else ``$XDG_CACHE_HOME/zhengce``, else
    ``~/.cache/zhengce``; created on demand."""
    base = os.environ.get(CACHE_ENV_VAR)
    if base:
        root = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = (Path(xdg) if xdg else Path.home() / ".cache") / "zhengce"
    path = root / sub if sub else root
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create cache folder {path}: {exc.strerror}; "
                        f"set ${CACHE_ENV_VAR} to a writable folder") from None
    return path


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def text_hash(text: str) -> str:
    """sha256 of the raw text (UTF-8): what the token cache compares to detect changed documents."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Dictionary files
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UserWord:
    word: str
    freq: int | None
    tag: str | None
    source: str  # "file:line"


def _read_text_file(path: Path, what: str) -> list[str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {exc.strerror}; check the path") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a leading BOM is harmless here (jieba would make it part of the first word)
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise UserError(f"{path}:{line}: not UTF-8 (byte {exc.start}); save the file as UTF-8") from None
    # splitlines handles LF, CRLF and CR, so Windows line ends cannot leak into words.
    return content.splitlines()


def read_user_dict(path: str | Path) -> list[UserWord]:
    """Parse a jieba-format user dictionary: ``word [freq] [tag]`` a line, ``#`` comments.

    A leading BOM and CRLF line ends are accepted. Raises :class:`UserError` naming ``file:line``
    for a word with a space in it, a frequency that is not a positive integer, a word jieba could
    never produce (characters outside its run pattern, e.g. 《》 or full-width letters), a word not
    in NFKC form, or a word listed twice.
    """
    path = Path(path)
    words: list[UserWord] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(_read_text_file(path, "user dictionary"), 1):
        where = f"{path}:{lineno}"
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if "\ufeff" in stripped:
            raise UserError(f"{where}: a byte-order mark (U+FEFF) inside the file (two files "
                            "concatenated?); delete it")
        fields = stripped.split()
        word, freq, tag = fields[0], None, None
        rest = fields[1:]
        if len(rest) == 1:
            if _INT_RE.fullmatch(rest[0]):
                freq = int(rest[0])
            elif _TAG_RE.fullmatch(rest[0]):
                tag = rest[0]
            else:
                raise UserError(f"{where}: {stripped!r} is not 'word [frequency] [tag]'; a word "
                                "cannot contain a space (jieba splits text at spaces)")
        elif len(rest) == 2:
            if not (_INT_RE.fullmatch(rest[0]) and _TAG_RE.fullmatch(rest[1])):
                raise UserError(f"{where}: {stripped!r} is not 'word frequency tag'; a word "
                                "cannot contain a space (jieba splits text at spaces)")
            freq, tag = int(rest[0]), rest[1]
        elif len(rest) > 2:
            raise UserError(f"{where}: {stripped!r} has {len(fields)} fields; expected "
                            "'word [frequency] [tag]' — a word cannot contain a space")
        if freq is not None and freq < 1:
            raise UserError(f"{where}: frequency of {word!r} is {freq}; use a positive integer "
                            "(0 means 'force split' in jieba but is ignored by rjieba)")
        if unicodedata.normalize("NFKC", word) != word:
            fixed = unicodedata.normalize("NFKC", word)
            raise UserError(f"{where}: {word!r} is not in NFKC form and would never match the "
                            f"normalised text; write it as {fixed!r}")
        if not _JIEBA_WORD_CHARS_RE.fullmatch(word):
            bad = "".join(sorted(set(_JIEBA_WORD_CHARS_RE.sub("", word))))
            raise UserError(f"{where}: {word!r} contains {bad!r}, where jieba always splits, so "
                            "the word can never be produced; remove those characters")
        if word in seen:
            raise UserError(f"{where}: {word!r} is already listed at line {seen[word]}; keep one line")
        seen[word] = lineno
        words.append(UserWord(word=word, freq=freq, tag=tag, source=where))
    return words


def read_word_list(path: str | Path) -> list[str]:
    """One word a line (stopword files); ``#`` comment lines and blank lines ignored."""
    path = Path(path)
    out: list[str] = []
    for lineno, line in enumerate(_read_text_file(path, "word list"), 1):
        word = line.strip()
        if not word or word.startswith("#"):
            continue
        if any(ch.isspace() for ch in word):
            raise UserError(f"{path}:{lineno}: {word!r} contains a space; one word a line")
        out.append(word)
    return out


def _stopwords_iso_zh() -> set[str]:
    try:
        import stopwordsiso
    except ImportError:
        raise UserError(f"stopword source {STOPWORDS_ISO_ZH!r} needs stopwordsiso: "
                        "pip install stopwordsiso") from None
    return set(stopwordsiso.stopwords("zh"))


# ---------------------------------------------------------------------------------------------
# Backends
# ---------------------------------------------------------------------------------------------

@contextmanager
def _quiet_jieba():
    """jieba logs 'Building prefix dict…' at DEBUG to stderr; silence it while we initialise."""
    logger = logging.getLogger("jieba")
    old = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(old)


class _RjiebaBackend:
    name = "rjieba"

    def __init__(self) -> None:
        try:
            import rjieba
        except ImportError:
            raise UserError("backend='rjieba' needs rjieba: pip install rjieba "
                            "(or use backend='jieba')") from None
        self._j = rjieba.Jieba()

    @staticmethod
    def version() -> str | None:
        return _version("rjieba")

    def has_word(self, word: str) -> bool:
        return bool(self._j.has_word(word))

    def add_word(self, word: str, freq: int, tag: str) -> None:
        self._j.add_word(word, int(freq), tag)

    def cut(self, text: str, hmm: bool) -> list[str]:
        return self._j.cut(text, hmm)

    def tag(self, text: str, hmm: bool) -> list[tuple[str, str]]:
        return self._j.tag(text, hmm)


class _JiebaBackend:
    name = "jieba"

    def __init__(self) -> None:
        try:
            import jieba
        except ImportError:
            raise UserError("backend='jieba' needs jieba: pip install jieba") from None
        self._jieba = jieba
        tk = jieba.Tokenizer()
        # A private cache file per jieba version in the project cache, not /tmp/jieba.cache. If the
        # cache folder cannot be created (read-only home), a private temporary folder will do: the
        # cache only saves the ~1 s of parsing dict.txt.
        try:
            tk.tmp_dir = str(cache_dir("jieba"))
        except UserError as exc:
            import tempfile

            tk.tmp_dir = tempfile.mkdtemp(prefix="zhengce-jieba-")
            log.warning("%s; using %s for jieba's dictionary cache", exc, tk.tmp_dir)
        tk.cache_file = f"jieba-{jieba.__version__}-dict.cache"
        with _quiet_jieba():
            tk.initialize()
        self._tk = tk
        self._pos = None

    @staticmethod
    def version() -> str | None:
        return _version("jieba")

    def has_word(self, word: str) -> bool:
        return self._tk.FREQ.get(word, 0) > 0

    def add_word(self, word: str, freq: int, tag: str) -> None:
        old = self._tk.FREQ.get(word, 0)
        # jieba-rs keeps a known word's built-in POS tag when its frequency is changed; do the same
        # (jieba would record the user tag), so that keep_pos filters agree.
        self._tk.add_word(word, int(freq), tag if old == 0 else None)
        # jieba adds freq to the total without removing the replaced frequency; jieba-rs keeps the
        # true sum. Correct it so both rank paths identically (see the module docstring).
        self._tk.total -= old

    def cut(self, text: str, hmm: bool) -> list[str]:
        return self._tk.lcut(text, cut_all=False, HMM=hmm)

    def tag(self, text: str, hmm: bool) -> list[tuple[str, str]]:
        if self._pos is None:
            from jieba import posseg

            self._pos = posseg.POSTokenizer(self._tk)
        return [(pair.word, pair.flag) for pair in self._pos.lcut(text, HMM=hmm)]


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


class Segmenter:
    """Segment Chinese text into filtered tokens; ``segmenter(text)`` is :meth:`tokens`.

    Parameters
    ----------
    backend : {'rjieba', 'jieba'}
        rjieba (jieba-rs) is ~21x faster and gives identical tokens (module docstring).
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

    @property
    def config_hash(self) -> str:
        blob = json.dumps(self.config(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    def __getstate__(self) -> dict:
        return self.params()

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def __repr__(self) -> str:
        return "Segmenter(" + ", ".join(f"{k}={v!r}" for k, v in self.params().items()) + ")"

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
        """Filtered tokens of ``text`` (which should already be normalised)."""
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
    """The key of the token cache: normaliser and segmenter configuration together."""
    blob = json.dumps({"normalizer": normalizer.config(), "segmenter": segmenter.config()},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


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
    """Rebuild the normaliser and segmenter behind ``config_hash`` from ``segmenter_configs``.

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
    """Pool initializer: build the normaliser and segmenter once per worker process."""
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
                     "n_tokens": len(toks), "text_hash": text_hash(text)})
    return rows, n_bytes, removed


def _segment_batch_remote(batch: list[tuple[str, str]], config_hash: str):
    """In a pool worker: :func:`_segment_batch` plus this worker's peak memory."""
    from zhengce.common.memory import process_peak

    return (*_segment_batch(batch, config_hash), process_peak("segment worker"))


def available_cores() -> int:
    """Cores this process may run on (the affinity mask in containers), else ``os.cpu_count()``."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _fmt_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def print_progress(state: dict, stream=None) -> None:
    """A ready-made ``progress`` callable: one updating line on stderr."""
    stream = stream or sys.stderr
    end = "\n" if state["done"] >= state["total"] else ""
    stream.write(f"\rsegment: {state['done']:,}/{state['total']:,} documents "
                 f"({100 * state['done'] / max(state['total'], 1):.1f}%), "
                 f"{state['docs_per_s']:.0f} docs/s, {state['mb_per_s']:.2f} MB/s, "
                 f"{_fmt_seconds(state['eta_s'])} left{end}")
    stream.flush()


def _stale_documents(store, config_hash: str, where: str | None, params) -> tuple[list[str], dict]:
    """doc_ids whose cached tokens are missing or were made from a different text."""
    conn = store.db.conn
    conn.create_function("zc_text_sha256", 1,
                         lambda t: text_hash(t) if t is not None else text_hash(""),
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
    n_jobs : worker processes; ``None`` → all cores. Workers build the segmenter once (pool
        initializer); the calling process is the only writer and inserts one batch per transaction.
    batch_size : documents per task and per insert.
    where, params : optional SQL filter on ``documents`` (alias ``d``; e.g. ``"d.level = ?"``,
        ``["central"]``).
    progress : called after each batch with ``done, total, elapsed_s, docs_per_s, mb_per_s,
        eta_s`` (see :func:`print_progress`).

    Returns a dict: ``config_hash``, ``run_id``, ``n_documents``, ``n_segmented``, ``n_missing``,
    ``n_changed``, ``n_cached``, ``seconds`` (segmenting and writing), ``scan_seconds`` (finding
    stale documents: every raw text is hashed), ``docs_per_s``, ``mb_per_s``, ``n_jobs``, ``removed``
    (boilerplate matches by kind) and ``line`` (a one-line summary).
    """
    segmenter = segmenter if segmenter is not None else Segmenter()
    normalizer = normalizer if normalizer is not None else Normalizer()
    if not isinstance(batch_size, int) or batch_size < 1:
        raise UserError(f"batch_size must be a positive integer, got {batch_size!r}")
    if n_jobs is None:
        n_jobs = available_cores()
    if not isinstance(n_jobs, int) or n_jobs < 1:
        raise UserError(f"n_jobs must be a positive integer or None (all cores), got {n_jobs!r}")
    config_hash = register_config(store, normalizer, segmenter)
    scan_started = time.perf_counter()
    stale, counts = _stale_documents(store, config_hash, where, params)
    scan_seconds = time.perf_counter() - scan_started
    run_params = {"config_hash": config_hash, "n_jobs": n_jobs, "batch_size": batch_size,
                  "where": where, "where_params": list(params or []),
                  "normalizer": normalizer.config(), "segmenter": segmenter.config()}
    inputs = {f"user_dict:{Path(p).name}": p for p in segmenter.user_dict}
    inputs.update({f"stopwords:{Path(s).name}": s for s in segmenter.stopwords_sources
                   if s != STOPWORDS_ISO_ZH})
    if normalizer.strip_boilerplate:
        inputs["boilerplate"] = str(normalizer.patterns_file)
    packages = ["jieba", "rjieba", "stopwordsiso"] + (["opencc-python-reimplemented"]
                                                      if normalizer.t2s else [])
    total = len(stale)
    started = time.perf_counter()
    done, n_bytes, removed = 0, 0, Counter()

    def report() -> None:
        if progress is None:
            return
        elapsed = time.perf_counter() - started
        rate = done / elapsed if elapsed > 0 else 0.0
        progress({"done": done, "total": total, "elapsed_s": elapsed, "docs_per_s": rate,
                  "mb_per_s": n_bytes / 1e6 / elapsed if elapsed > 0 else 0.0,
                  "eta_s": (total - done) / rate if rate > 0 else 0.0})

    def write(rows: list[dict]) -> None:
        with store.db.conn:
            store.db["tokens"].upsert_all(rows, pk=("doc_id", "config_hash"))

    with store.run("segment", run_params, inputs=inputs, packages=packages) as run:
        batches = _batches_of_texts(store, stale, batch_size)
        use_pool = n_jobs > 1 and total > batch_size
        if not use_pool:
            segmenter.engine
            for batch in batches:
                rows, nb, rm = _segment_batch(batch, config_hash, normalizer, segmenter)
                write(rows)
                done, n_bytes = done + len(rows), n_bytes + nb
                removed.update(rm)
                report()
        else:
            ctx = multiprocessing.get_context()
            with ctx.Pool(n_jobs, initializer=_init_worker,
                          initargs=(normalizer.params(), segmenter.params())) as pool:
                # Batches are read here (SQLite connections stay in this process and thread) and
                # kept at most 2 per worker in flight, so memory stays bounded.
                pending: deque = deque()
                for batch in batches:
                    pending.append(pool.apply_async(_segment_batch_remote, (batch, config_hash)))
                    while len(pending) >= 2 * n_jobs:
                        rows, nb, rm, peak = pending.popleft().get()
                        run.memory.add(peak)
                        write(rows)
                        done, n_bytes = done + len(rows), n_bytes + nb
                        removed.update(rm)
                        report()
                while pending:
                    rows, nb, rm, peak = pending.popleft().get()
                    run.memory.add(peak)
                    write(rows)
                    done, n_bytes = done + len(rows), n_bytes + nb
                    removed.update(rm)
                    report()
        seconds = time.perf_counter() - started
        summary = {"config_hash": config_hash, "run_id": run.run_id, **counts,
                   "n_segmented": done, "seconds": round(seconds, 3),
                   "scan_seconds": round(scan_seconds, 3),
                   "docs_per_s": round(done / seconds, 1) if seconds > 0 and done else 0.0,
                   "mb_per_s": round(n_bytes / 1e6 / seconds, 3) if seconds > 0 and done else 0.0,
                   "n_jobs": n_jobs if use_pool else 1, "removed": dict(sorted(removed.items())),
                   "peak_memory": run.memory.finish().as_dict()}
        summary["line"] = (
            f"segment {config_hash}: {done:,} of {counts['n_documents']:,} documents segmented "
            f"({counts['n_missing']:,} new, {counts['n_changed']:,} changed text, "
            f"{counts['n_cached']:,} cached) in {_fmt_seconds(seconds)} "
            f"(+{scan_seconds:.1f} s checking text hashes), "
            f"{summary['docs_per_s']:,.0f} docs/s, {summary['mb_per_s']:.2f} MB/s, "
            f"{summary['n_jobs']} process(es); {run.memory.line()}")
        run.summary.update(summary)
    log.info(summary["line"])
    return summary
