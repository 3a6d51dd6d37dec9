"""Text normalization before segmentation: Unicode, script, whitespace and boilerplate.

The raw ``documents.text`` is never changed; :class:`Normalizer` returns a new string plus a record
of everything it removed, so a researcher can audit what the topic model never saw.

Steps, in order (each can be switched off):

1. **NFKC** (``nfkc=True``): full-width letters, digits and punctuation become half-width
   (``２００１`` → ``2001``, ``：`` → ``:``), compatibility ideographs become unified ones, the
   ideographic space becomes a space. CJK punctuation such as 。、《》 is unchanged by NFKC.
2. **Traditional → Simplified** (``t2s=False``): OpenCC's ``t2s`` table through the pure-Python
   ``opencc-python-reimplemented``; off by default because mainland documents are already simplified
   and conversion can touch proper names.
3. **Boilerplate** (``strip_boilerplate=True``): the regular expressions of an editable file
   (default ``nlp/dictionaries/boilerplate.txt``; one ``kind regex`` a line) remove addressee lines
   (各省、自治区、直辖市人民政府…:), transmittal formulas (现将…印发给你们), closings (请认真贯彻执行,
   特此通知), 抄送 lines, attachment lists (附件:1. …), web-page furniture (打印本页, 关闭窗口,
   【字体:大 中 小】, 分享到, 扫一扫在手机打开当前页) and markdown heading markers.
4. **Whitespace** (``collapse_whitespace=True``): zero-width characters go, CR/LF become LF, runs of
   spaces become one, spaces between two Chinese characters go (letter-spaced titles such as
   ``通  知``), lines are trimmed and blank-line runs shrink to one blank line.

:attr:`Normalizer.config_hash` hashes the parameters, the pattern file's bytes, the Unicode
database version (NFKC tables change between Python releases) and the OpenCC version, so the token
cache (:mod:`nlp.text.segment`) knows when normalized text would differ.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from zhengce.common.errors import UserError
from zhengce.common import manifest

DICTIONARIES = Path(__file__).resolve().parent.parent / "dictionaries"   # nlp/dictionaries
DEFAULT_PATTERNS_FILE = DICTIONARIES / "boilerplate.txt"

# Bump when the code of a step changes in a way that changes its output.
RULES_VERSION = 1

_KIND_RE = re.compile(r"[a-z][a-z0-9_]*")
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_INLINE_SPACE_RE = re.compile(r"[^\S\n]+")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_HAN_RE = re.compile(f"(?<=[{_HAN}]) (?=[{_HAN}])")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class BoilerplatePattern:
    kind: str
    regex: re.Pattern
    source: str  # "file:line", for error messages and audits


@dataclass
class NormalizedText:
    """The normalized text and what boilerplate removal took out, as ``(kind, snippet)`` pairs."""

    text: str
    removed: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return self.text


def read_patterns(path: str | Path) -> list[BoilerplatePattern]:
    """Parse a boilerplate file: ``kind<whitespace>regex`` a line, ``#`` comments, blank lines.

    Raises :class:`UserError` naming ``file:line`` for a missing regex, a bad kind label or a
    regular expression that does not compile.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read boilerplate patterns file {path}: {exc.strerror}; "
                        "check the path given as patterns_file") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path} is not UTF-8 (byte {exc.start}): save it as UTF-8") from None
    patterns: list[BoilerplatePattern] = []
    for lineno, line in enumerate(content.splitlines(), 1):
        line = line.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.strip().split(None, 1)
        where = f"{path}:{lineno}"
        if len(parts) != 2:
            raise UserError(f"{where}: expected 'kind regex' (a label, whitespace, a regular "
                            f"expression), got {line.strip()!r}")
        kind, pattern = parts
        if not _KIND_RE.fullmatch(kind):
            raise UserError(f"{where}: kind label {kind!r} must be lowercase letters, digits or _ "
                            "(e.g. addressee, closing, furniture)")
        try:
            regex = re.compile(pattern, re.MULTILINE)
        except re.error as exc:
            raise UserError(f"{where}: regular expression {pattern!r} does not compile ({exc}); "
                            "fix or comment out the line") from None
        if regex.fullmatch(""):
            raise UserError(f"{where}: regular expression {pattern!r} matches the empty string "
                            "and would match everywhere; make it require at least one character")
        patterns.append(BoilerplatePattern(kind=kind, regex=regex, source=where))
    return patterns


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


class RebuiltFromParams:
    """What the text-preparation objects (:class:`Normalizer`, ``Segmenter``) share: each is fully
    described by ``params()`` (its constructor arguments) and ``config()`` (what changes its
    output). They are pickled as their parameters — worker processes rebuild them instead of
    copying dictionaries and compiled patterns — and named by the hash of their config, the key
    of the token cache.
    """

    @property
    def config_hash(self) -> str:
        return manifest.config_hash(self.config())

    def __getstate__(self) -> dict:
        return self.params()

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"


class Normalizer(RebuiltFromParams):
    """Normalize a document's text; ``normalizer(text)`` returns a :class:`NormalizedText`.

    Parameters
    ----------
    nfkc : bool
        Apply Unicode NFKC (full-width → half-width).
    t2s : bool
        Convert Traditional to Simplified characters with OpenCC ``t2s``.
    strip_boilerplate : bool
        Remove the patterns of ``patterns_file``.
    patterns_file : path or None
        The boilerplate file; ``None`` means ``nlp/dictionaries/boilerplate.txt``.
    collapse_whitespace : bool
        Clean whitespace (see the module docstring).
    """

    def __init__(self, nfkc: bool = True, t2s: bool = False, strip_boilerplate: bool = True,
                 patterns_file: str | Path | None = None, collapse_whitespace: bool = True):
        self.nfkc = bool(nfkc)
        self.t2s = bool(t2s)
        self.strip_boilerplate = bool(strip_boilerplate)
        self.patterns_file = Path(patterns_file) if patterns_file is not None else DEFAULT_PATTERNS_FILE
        self.collapse_whitespace = bool(collapse_whitespace)
        self._patterns: list[BoilerplatePattern] | None = None
        self._patterns_sha256: str | None = None
        self._converter = None
        if self.strip_boilerplate:
            self._load_patterns()
        if self.t2s:
            self._load_converter()

    # -- set-up -------------------------------------------------------------------------------
    def _load_patterns(self) -> None:
        self._patterns = read_patterns(self.patterns_file)
        self._patterns_sha256 = hashlib.sha256(self.patterns_file.read_bytes()).hexdigest()

    def _load_converter(self) -> None:
        try:
            from opencc import OpenCC
        except ImportError:
            raise UserError("t2s=True needs OpenCC: pip install opencc-python-reimplemented") from None
        self._converter = OpenCC("t2s")

    @property
    def patterns(self) -> list[BoilerplatePattern]:
        return list(self._patterns or [])

    def params(self) -> dict:
        """Constructor arguments (paths as strings): enough to rebuild this normalizer."""
        return {"nfkc": self.nfkc, "t2s": self.t2s, "strip_boilerplate": self.strip_boilerplate,
                "patterns_file": str(self.patterns_file),
                "collapse_whitespace": self.collapse_whitespace}

    def config(self) -> dict:
        """What determines the output; paths are left out so the hash is machine-independent."""
        return {
            "normalizer_rules_version": RULES_VERSION,
            "nfkc": self.nfkc,
            "unicode_version": unicodedata.unidata_version if self.nfkc else None,
            "t2s": self.t2s,
            "opencc": _package_version("opencc-python-reimplemented") if self.t2s else None,
            "strip_boilerplate": self.strip_boilerplate,
            "patterns_file": self.patterns_file.name if self.strip_boilerplate else None,
            "patterns_sha256": self._patterns_sha256 if self.strip_boilerplate else None,
            "collapse_whitespace": self.collapse_whitespace,
        }


    # -- the work -----------------------------------------------------------------------------
    def __call__(self, text: str) -> NormalizedText:
        if text is None:
            raise UserError("Normalizer got None instead of a text: documents.text must not be null")
        removed: list[tuple[str, str]] = []
        if self.nfkc:
            text = unicodedata.normalize("NFKC", text)
        if self.t2s:
            text = self._converter.convert(text)
        if self.strip_boilerplate:
            for pattern in self._patterns or []:
                def _drop(match: re.Match, kind: str = pattern.kind) -> str:
                    removed.append((kind, match.group(0)))
                    return ""

                text = pattern.regex.sub(_drop, text)
        if self.collapse_whitespace:
            text = clean_whitespace(text)
        return NormalizedText(text=text, removed=removed)

    def normalize(self, text: str) -> str:
        """The normalized string only."""
        return self(text).text


def clean_whitespace(text: str) -> str:
    """Zero-width characters out, LF line ends, single spaces, no spaces between Chinese
    characters, trimmed lines, at most one blank line in a row, no leading/trailing blank lines."""
    text = _ZERO_WIDTH_RE.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INLINE_SPACE_RE.sub(" ", text)
    text = _SPACE_BETWEEN_HAN_RE.sub("", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES_RE.sub("\n\n", text)
    return text.strip()
