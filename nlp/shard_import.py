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


def import_topic_run(store: Store, root: str | os.PathLike, model_path: str | os.PathLike, *,
                     out_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Labels, topics, strategy shares and the dictionary measure of a model trained by
    ``zhengce shards train``, written into the store as ``make topics`` writes them.

    θ is the model's own (training documents) completed by the ``doc_topics`` shards of
    ``zhengce shards infer`` (DMR above ``dmr_max_train_docs``); the token shards are imported
    first, so the dictionary measure is computed by the store path's own function on the same
    tokens. Returns the topic run id, the dictionary-measure run id and the correlations."""
    import json

    import numpy as np
    from dataclasses import asdict

    from .scheme import dictionary_scores, load_scheme
    from .shard_dmr import TRAIN_FILE, ShardCorpusRows, bow_dictionary
    from .text.bow import TokenCorpus, corpus_hash, dictionary_hash
    from .topics.models import load_model
    from .topics.stage import (TopicsConfig, _measure_correlations, _record_correlations,
                               _save_restart, _write_run_manifests)

    root, model_path = Path(root), Path(model_path)
    meta_path = model_path / TRAIN_FILE
    if not meta_path.is_file():
        raise UserError(f"{model_path} has no {TRAIN_FILE}: train it with zhengce shards train")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    config = TopicsConfig(**meta["config"])
    if out_dir is not None:
        config.out_dir = str(out_dir)
    scheme = load_scheme(config.scheme)
    if scheme.hash != meta["scheme_hash"]:
        raise UserError(f"the scheme {config.scheme or 'default'} changed since {model_path} was "
                        "trained; use the same scheme file or retrain")
    model = load_model(model_path)
    dictionary, _ = bow_dictionary(root, model_path / "dictionary.gensim")
    rows = ShardCorpusRows(root)
    doc_ids = rows.doc_ids
    if config.model == "dmr" and not bool(np.all(model.trained_rows_)):
        model.doc_topic_ = _theta_from_shards(root, model_path, doc_ids, model.n_topics_)
    tokens = import_shards(store, root, kinds=["tokens"])["tokens"]
    corpus = TokenCorpus(store, tokens["config_hash"], min_tokens=1)
    if corpus.doc_ids() != doc_ids:
        raise UserError(f"the store's segmented corpus differs from the documents of {root}: "
                        "import into the store the shards were exported from")
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    seed_words = {name: [s.term for s in cat.seeds] for name, cat in scheme.categories.items()}
    inputs = {"dictionary": dictionary_hash(dictionary), "corpus": corpus_hash(corpus),
              "scheme": scheme.as_dict()}
    params = {**asdict(config), "random_state": config.random_state, "restart": 0,
              "config_hash": tokens["config_hash"], "vocabulary": len(dictionary),
              "shards": str(root), "shard_model": str(model_path)}
    with store.run("topics", params, inputs=inputs,
                   packages=["gensim", "tomotopy", "jieba", "rjieba", "pyLDAvis"]) as run:
        shares = _save_restart(store, run, model, config, seed_words, doc_ids, dictionary, out)
        run_id = run.run_id
    scores = dictionary_scores(corpus, scheme)
    correlations = _measure_correlations(store, scores.run_id, shares, doc_ids)
    _record_correlations(store, [run_id], correlations, scores.run_id)
    _write_run_manifests(store, [run_id], out)
    return {"run_id": run_id, "dictionary_run_id": scores.run_id, "n_documents": len(doc_ids),
            "correlations": correlations}


def _theta_from_shards(root: Path, model_path: Path, doc_ids: list[str], n_topics: int):
    """θ (D × K, corpus order) from the doc_topics shards ``shards infer`` wrote with this model."""
    import numpy as np

    from .shard_stages import folder_hash

    if not sh.has_shards(root, "doc_topics"):
        raise UserError(f"{root} has no doc_topics shards: run zhengce shards infer {root} "
                        f"--model {model_path} first")
    sset = sh.shard_set(root, "doc_topics")
    if sset.manifest.get("params", {}).get("model_hash") != folder_hash(model_path):
        raise UserError(f"{sset.folder} was inferred with another model: run zhengce shards "
                        f"infer {root} --model {model_path}")
    position = {d: i for i, d in enumerate(doc_ids)}
    theta = np.full((len(doc_ids), n_topics), np.nan)
    for table in sset.iter_tables(["doc_id", "topic", "weight"]):
        rows = [position[d] for d in table.column("doc_id").to_pylist()]
        theta[rows, table.column("topic").to_numpy()] = table.column("weight").to_numpy()
    if np.isnan(theta).any():
        raise UserError(f"{sset.folder} lacks θ of some documents: run zhengce shards infer "
                        "with this model again")
    return theta
