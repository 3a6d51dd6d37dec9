"""Attachments: content-addressed files next to the database, with their text extracted.

A file is stored as ``<db folder>/attachments/<sha256[:2]>/<sha256>.<ext>``: the name is the hash
of the bytes (never a name the server gave, which may be anything: ``../../x``, ``附件1.pdf`` on
every document, a name with a query string), the extension comes from the content type or the
URL and only from a fixed list. PDF and DOCX text is extracted with
:func:`corpus.loaders.extract_file_text`; other kinds are stored and recorded as not extracted.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from zhengce.corpus.loaders import extract_file_text

EXTRACTABLE = {".pdf", ".docx"}
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


def is_attachment_url(url: str) -> bool:
    return bool(ATTACHMENT_LINK.search(urlsplit(url).path + ("?" if urlsplit(url).query else "")))


def extension_for(url: str, content_type: str | None) -> str:
    """The stored file's extension: from the content type, else the URL path, else ``.bin``."""
    if content_type:
        ext = CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())
        if ext:
            return ext
    suffix = Path(unquote(urlsplit(url).path)).suffix.lower()
    return suffix if suffix in KNOWN_EXTENSIONS else ".bin"


@dataclass
class StoredFile:
    sha256: str
    path: str          # relative to the database's folder
    n_bytes: int
    text: str | None
    status: str        # extracted | not_extracted | extraction_failed
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
        return StoredFile(digest, relative.as_posix(), len(data), None, "not_extracted",
                          f"{ext} files are stored, not extracted")
    try:
        text, _, _ = extract_file_text(Path(f"file{ext}"), data)
    except Exception as exc:  # noqa: BLE001 - any parser failure is recorded, never fatal
        return StoredFile(digest, relative.as_posix(), len(data), None, "extraction_failed",
                          f"{type(exc).__name__}: {exc}")
    return StoredFile(digest, relative.as_posix(), len(data), text.strip(), "extracted")
