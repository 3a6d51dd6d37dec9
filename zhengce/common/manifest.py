"""Run ids, manifests and content hashes: what every stage records about how its output was made."""

from __future__ import annotations

import hashlib
import json
import platform
import secrets
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

BASE_PACKAGES = ("zhengce", "sqlite-utils", "numpy", "pandas")


def new_run_id(stage: str) -> str:
    """``<stage>-<UTC timestamp>-<6 hex>``: sortable by time, unique across processes."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    return f"{stage}-{stamp}-{secrets.token_hex(3)}"


def package_versions(names: Iterable[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def config_hash(value: Any, length: int = 16) -> str:
    """The first ``length`` hex digits of the SHA-256 of ``value`` as sorted-key JSON.

    The one way a configuration (normalizer, segmenter, stage parameters ...) is named by its
    content: equal settings give equal hashes whatever the key order. The format is fixed —
    token caches and shard folders written by earlier versions are keyed by it.
    """
    blob = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:length]


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def input_hash(value: Any) -> str:
    """Hash an input description: a path (file or folder listing), bytes, or any JSON-able value."""
    if isinstance(value, (bytes, bytearray)):
        return sha256_bytes(bytes(value))
    if isinstance(value, (str, Path)) and Path(value).is_file():
        return sha256_file(value)
    if isinstance(value, (str, Path)) and Path(value).is_dir():
        h = hashlib.sha256()
        for p in sorted(Path(value).rglob("*")):
            if p.is_file():
                h.update(str(p.relative_to(value)).encode())
                h.update(sha256_file(p).encode())
        return h.hexdigest()
    return sha256_text(json.dumps(value, sort_keys=True, default=str, ensure_ascii=False))


def make_manifest(stage: str, params: dict, inputs: dict, packages: Iterable[str] = ()) -> dict:
    seeds = {k: v for k, v in params.items() if "seed" in k.lower() or "random_state" in k.lower()}
    return {
        "stage": stage,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "params": params,
        "seeds": seeds,
        "inputs": {k: input_hash(v) for k, v in inputs.items()},
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions([*BASE_PACKAGES, *packages]),
    }
