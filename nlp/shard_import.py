"""Importing result shards (:mod:`zhengce.corpus.shards`) back into the store.

Tokens are imported under the segmenter configuration their manifest names, re-registered with
this installation's normalizer and segmenter, so the import lives in the NLP layer; the
run-keyed kinds (``doc_topics``, ``dictionary_scores``) go through the corpus layer's
:func:`zhengce.corpus.shards.import_run_rows`. Every import is an ``insert or replace`` on the
natural key: importing the same folder twice changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from zhengce.common.errors import UserError
from zhengce.corpus import shards as sh
from zhengce.corpus.store import Store

from .text.normalize import Normalizer
from .text.segment import Segmenter, register_config


def _import_tokens(store: Store, sset: sh.ShardSet) -> int:
    config_hash = sset.manifest.get("config_hash")
    cfg = sset.manifest.get("segmenter_config") or {}
    try:
        normalizer = Normalizer(**cfg["normalizer"]["params"])
        segmenter = Segmenter(**cfg["segmenter"]["params"])
    except (KeyError, TypeError):
        raise UserError(f"{sset.folder / sh.MANIFEST} has no usable segmenter_config; re-run "
                        "zhengce shards segment") from None
    registered = register_config(store, normalizer, segmenter)
    if registered != config_hash:
        raise UserError(f"{sset.folder}: the tokens were made under config {config_hash} but this "
                        f"installation's dictionaries give {registered}; import with the same "
                        "zhengce version and dictionary files the workers used")
    n = 0
    conn = store.db.conn
    for path in sset.paths():
        table = sh.read_table(path)
        ids = table.column("doc_id").to_pylist()
        sh.check_known_documents(store, ids, str(path))
        hashes = set(table.column("config_hash").unique().to_pylist())
        if hashes != {config_hash}:
            raise UserError(f"{path} holds tokens of configs {sorted(hashes)}, the manifest says "
                            f"{config_hash}; re-run zhengce shards segment")
        with conn:
            conn.executemany(
                "insert or replace into tokens (doc_id, config_hash, tokens, n_tokens, text_hash) "
                "values (?, ?, ?, ?, ?)",
                zip(ids, table.column("config_hash").to_pylist(), table.column("tokens").to_pylist(),
                    table.column("n_tokens").to_pylist(), table.column("text_hash").to_pylist()))
        n += len(ids)
    return n


def import_shards(store: Store, root: str | os.PathLike,
                  kinds: Sequence[str] | None = None) -> dict[str, Any]:
    """Import the result shards under ``root`` into the store, idempotently.

    ``kinds`` (default: every importable kind present) among ``tokens`` (into the token cache,
    registering the segmenter configuration), ``doc_topics`` (θ under the inference run id, with
    a ``runs`` row for that run) and ``dictionary_scores`` (likewise). Returns per kind the number
    of documents imported and, for run-keyed kinds, the run id.
    """
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"shard folder {root} does not exist; pass the DIR given to shards export")
    wanted = list(kinds) if kinds else [k for k in sh.IMPORTABLE if sh.has_shards(root, k)]
    for kind in wanted:
        if kind not in sh.IMPORTABLE:
            raise UserError(f"cannot import {kind!r} shards; importable kinds are "
                            f"{', '.join(sh.IMPORTABLE)}")
    if not wanted:
        raise UserError(f"{root} holds no result shards (tokens, doc_topics, dictionary_scores): "
                        "run zhengce shards segment / infer / score first")
    out: dict[str, Any] = {}
    with store.run("shards_import", {"root": str(root), "kinds": wanted}) as run:
        for kind in wanted:
            sset = sh.shard_set(root, kind)
            if kind == "tokens":
                out["tokens"] = {"documents": _import_tokens(store, sset),
                                 "config_hash": sset.manifest.get("config_hash")}
            elif kind == "doc_topics":
                n, run_id = sh.import_run_rows(store, sset, "doc_topics",
                                               ["run_id", "doc_id", "topic", "weight"],
                                               "topics_infer")
                out["doc_topics"] = {"documents": n, "run_id": run_id}
            else:
                n, run_id = sh.import_run_rows(store, sset, "dictionary_scores",
                                               ["run_id", "doc_id", "category", "n_terms",
                                                "weighted_terms", "n_tokens", "share",
                                                "share_of_scheme"],
                                               "dictionary_scores")
                out["dictionary_scores"] = {"documents": n, "run_id": run_id}
        run.summary.update(out)
    return out
