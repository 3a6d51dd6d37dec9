r"""The two segmentation backends (jieba and rjieba) and the dictionary files they load.

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

Parity of the two backends (tests/nlp/test_segment.py, tests/bench/bench_segment.py)
-------------------------------------------------------------------------------------
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

rjieba is many times faster than jieba on the same text (docs/scaling.md has the figures).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from zhengce.common.errors import UserError

log = logging.getLogger(__name__)

DICTIONARIES = Path(__file__).resolve().parent.parent / "dictionaries"   # nlp/dictionaries
DEFAULT_USER_DICT = DICTIONARIES / "userdict.txt"
DEFAULT_POLICY_STOPWORDS = DICTIONARIES / "stopwords_policy.txt"
STOPWORDS_ISO_ZH = "stopwords-iso:zh"
DEFAULT_STOPWORDS = (STOPWORDS_ISO_ZH, str(DEFAULT_POLICY_STOPWORDS))
# Frequency for a new user word given without one (also build_userdict.py's floor). jieba's
# dictionary total is about 60 million; 1000 is roughly the frequency of 振兴 or 培育: high enough
# for a user word to win over its pieces in context, low enough not to swallow longer built-in
# words such as 产品质量法 (measured on LawRefBook: see build_userdict.py).
DEFAULT_USER_FREQ = 1000
CACHE_ENV_VAR = "ZHENGCE_CACHE"

# jieba's own run pattern (re_han_default): a user word outside it can never be produced.
_JIEBA_WORD_CHARS_RE = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")
_TAG_RE = re.compile(r"[A-Za-z]+")
_INT_RE = re.compile(r"[0-9]+")


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
                            f"normalized text; write it as {fixed!r}")
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
