"""Attachments: content-addressed files next to the database, with their text extracted.

A file is stored as ``<db folder>/attachments/<sha256[:2]>/<sha256>.<ext>``: the name is the hash
of the bytes (never a name the server gave, which may be anything: ``../../x``, ``附件1.pdf`` on
every document, a name with a query string), the extension comes from the content type or the
URL and only from a fixed list. PDF and DOCX text is extracted with
:func:`corpus.loaders.extract_file_text`; other kinds are stored and their ``status`` in the
attachments table says why the text is not there: ``not_extracted: WPS Writer (Kingsoft) file: no
text extractor for this format`` (query them with ``status like 'not_extracted%'``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from zhengce.corpus.loaders import extract_file_text

EXTRACTABLE = {".pdf", ".docx"}
# Why a stored format's text is not extracted (the attachments table's status says so).
NOT_EXTRACTED_WHY = {
    ".wps": "WPS Writer (Kingsoft) file: no text extractor for this format",
    ".doc": "legacy Word (OLE) file: no text extractor for this format",
    ".xls": "spreadsheet: tables are not extracted",
    ".xlsx": "spreadsheet: tables are not extracted",
    ".ofd": "OFD (GB/T 33190) file: no text extractor for this format",
    ".zip": "archive: not unpacked",
    ".rar": "archive: not unpacked",
    ".jpg": "image: no OCR",
    ".png": "image: no OCR",
    ".txt": "plain text: not extracted",
    ".bin": "unknown format",
}
KNOWN_EXTENSIONS = {".pdf", ".docx", ".doc", ".xls", ".xlsx", ".wps", ".zip", ".rar", ".txt",
                    ".ofd", ".jpg", ".png"}
CONTENT_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/zip": ".zip",
    "text/plain": ".txt",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}
ATTACHMENT_LINK = re.compile(r"\.(pdf|docx?|xlsx?|wps|zip|rar|ofd)(?:$|\?)", re.I)


def _file_names(url: str) -> list[str]:
    """The URL's path, then its query values: download scripts name the file in the query
    (hanweb ``/module/download/downfile.jsp?classid=0&filename=….pdf``)."""
    parts = urlsplit(url)
    return [unquote(parts.path)] + [v for values in parse_qs(parts.query).values() for v in values]


def is_attachment_url(url: str) -> bool:
    return any(ATTACHMENT_LINK.search(name + "?") for name in _file_names(url))


def extension_for(url: str, content_type: str | None) -> str:
    """The stored file's extension: from the content type, else the URL path (or a file name
    in its query), else ``.bin``."""
    if content_type:
        ext = CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())
        if ext:
            return ext
    for name in _file_names(url):
        suffix = Path(name).suffix.lower()
        if suffix in KNOWN_EXTENSIONS:
            return suffix
    return ".bin"


def not_extracted_reason(ext: str) -> str:
    return NOT_EXTRACTED_WHY.get(ext, f"{ext} files: no text extractor for this format")


def extraction_plan(url: str, content_type: str | None = None) -> dict[str, str]:
    """``{"format": ".wps", "extraction": "not_extracted: ..."}``: what storing the file at
    ``url`` would do with its text (for ``crawl check`` and the crawl summary)."""
    ext = extension_for(url, content_type)
    if ext in EXTRACTABLE:
        return {"format": ext, "extraction": "extracted (text read when downloaded)"}
    return {"format": ext, "extraction": f"not_extracted: {not_extracted_reason(ext)}"}


@dataclass
class StoredFile:
    sha256: str
    path: str          # relative to the database's folder
    n_bytes: int
    text: str | None
    status: str        # extracted | extraction_failed | "not_extracted: <why>"
    error: str | None = None


def attachment_root(db_path: str) -> Path:
    """``attachments/`` next to the database (a temporary folder for in-memory stores)."""
    if db_path == ":memory:":
        return Path(tempfile.gettempdir()) / "zhengce-attachments"
    return Path(db_path).resolve().parent / "attachments"


def store_file(root: Path, data: bytes, url: str, content_type: str | None) -> StoredFile:
    """Write ``data`` content-addressed under ``root`` (idempotent) and extract its text."""
    digest = hashlib.sha256(data).hexdigest()
    ext = extension_for(url, content_type)
    relative = Path("attachments") / digest[:2] / f"{digest}{ext}"
    target = root / digest[:2] / f"{digest}{ext}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # write-then-rename: a crash never leaves a truncated file under a valid hash name
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    if ext not in EXTRACTABLE:
        why = not_extracted_reason(ext)
        return StoredFile(digest, relative.as_posix(), len(data), None, f"not_extracted: {why}",
                          f"{ext} files are stored, not extracted ({why})")
    try:
        text, _, _ = extract_file_text(Path(f"file{ext}"), data)
    except Exception as exc:  # noqa: BLE001 - any parser failure is recorded, never fatal
        return StoredFile(digest, relative.as_posix(), len(data), None, "extraction_failed",
                          f"{type(exc).__name__}: {exc}")
    return StoredFile(digest, relative.as_posix(), len(data), text.strip(), "extracted")
