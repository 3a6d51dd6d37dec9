"""Items: plain dataclasses (Scrapy handles them through itemadapter).

A detail page becomes a :class:`DocumentItem` (what the page said, untagged). The pipelines turn
it into a :class:`RecordItem` (a :class:`corpus.ingest.SourceRecord`, still untagged: tagging is
the corpus layer's) or a :class:`RejectItem`; every fetched page also leaves a :class:`PageItem`
for the crawl state; attachments travel as :class:`AttachmentItem`. Everything a writer needs is
inside the items, so they can be sent through Redis to a writer on another machine
(:func:`to_wire` / :func:`from_wire`).
"""

from __future__ import annotations

import base64
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from zhengce.corpus.ingest import SourceRecord


@dataclass
class DocumentItem:
    """A parsed detail page: metadata strings as printed, the body text, the raw bytes."""

    site: str
    url: str                              # final URL (after redirects): the document's source_id
    fields: dict[str, Any]                # canonical names (corpus.loaders.CANONICAL_FIELDS)
    payload: bytes                        # the page exactly as fetched
    content_type: str = "text/html"
    encoding: str | None = None
    fetched_at: str | None = None
    http_status: int = 200
    aliases: list[str] = field(default_factory=list)   # URLs that led here (HTTP/JS redirects)
    hints: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)   # "field: selector" that found nothing
    warnings: list[str] = field(default_factory=list)
    attachments: list[dict[str, str]] = field(default_factory=list)  # {url, filename_as_given}


@dataclass
class RecordItem:
    """A document ready for the corpus layer (the output of normalization)."""

    site: str
    url: str
    record: SourceRecord
    aliases: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    http_status: int = 200


@dataclass
class RejectItem:
    """Something fetched that cannot be stored: it goes to ``rejects`` with the reason."""

    site: str
    url: str
    reason: str
    kind: str = "detail"
    payload: bytes | None = None
    http_status: int | None = None
    aliases: list[str] = field(default_factory=list)
    fetched_at: str | None = None
    state: str = "rejected"     # crawl state: rejected (final) or failed (tried again next run)


@dataclass
class PageItem:
    """Crawl state of one URL that produced no document (a list page, an API call, a failure)."""

    site: str
    url: str
    kind: str                   # list | api | detail | attachment
    status: str                 # listed | failed | forbidden | redirected
    http_status: int | None = None
    error: str | None = None
    fetched_at: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class AttachmentItem:
    """A downloaded attachment of a document (bytes travel with it to the one writer)."""

    site: str
    doc_url: str
    url: str
    filename_as_given: str | None
    content_type: str | None
    payload: bytes | None
    http_status: int | None = None
    status: str = "fetched"     # fetched | failed | too_large
    error: str | None = None
    fetched_at: str | None = None


ITEM_TYPES: dict[str, type] = {cls.__name__: cls for cls in
                               (DocumentItem, RecordItem, RejectItem, PageItem, AttachmentItem)}


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__b64__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, SourceRecord):
        return {"__record__": {f.name: _encode(getattr(value, f.name))
                               for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"__pairs__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "__b64__" in value and len(value) == 1:
            return base64.b64decode(value["__b64__"])
        if "__pairs__" in value and len(value) == 1:
            return {_decode(k): _decode(v) for k, v in value["__pairs__"]}
        if "__record__" in value and len(value) == 1:
            return SourceRecord(**{k: _decode(v) for k, v in value["__record__"].items()})
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def to_wire(item: Any) -> bytes:
    """JSON bytes for an item (bytes as base64; never pickle: Redis data is not trusted code)."""
    name = type(item).__name__
    if name not in ITEM_TYPES:
        raise TypeError(f"cannot send a {name} to the writer; expected one of {sorted(ITEM_TYPES)}")
    body = {f.name: _encode(getattr(item, f.name)) for f in dataclasses.fields(item)}
    return json.dumps({"type": name, "item": body}, ensure_ascii=False).encode("utf-8")


def from_wire(data: bytes | str) -> Any:
    obj = json.loads(data)
    cls = ITEM_TYPES.get(obj.get("type"))
    if cls is None:
        raise ValueError(f"unknown item type {obj.get('type')!r} on the wire")
    return cls(**{k: _decode(v) for k, v in obj["item"].items()})
