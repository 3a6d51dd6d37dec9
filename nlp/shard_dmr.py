"""The topics stage of ``make topics`` on shards: the same model, sample, runs and θ.

``zhengce shards train`` fits the model ``make topics`` fits (:func:`zhengce.nlp.topics.stage.
_make_model` with the same :class:`~zhengce.nlp.topics.stage.TopicsConfig`) on the bow shards,
streamed one shard at a time, with the covariates (level × period) of the store the shards were
exported from. The corpus is the store path's: the documents with at least one token, in doc_id
order (``TokenCorpus(min_tokens=1)``), so the DMR training sample — drawn by
:meth:`SeededDmrModel._training_sample` from the cells in corpus order — is the same sample.

Seeded DMR above ``dmr_max_train_docs``: :meth:`SeededDmrModel.fit` with
``infer_held_out=False`` trains on the sample and leaves the other documents out of memory. The
held-out documents that keep a word the sampler knows (:func:`held_out_documents`) are numbered
over all shards in corpus order, and ordinal o belongs to joint run ``o // infer_batch``: exactly
the runs the store path cuts from the same sequence. The numbering is written once, by the
trainer, to ``infer_plan.npz`` in the model folder. :class:`DmrInferStage` infers every run that
touches its shard (reading the few neighbouring rows of a run that crosses a shard boundary, so
a crossing run is sampled by both tasks, identically) and keeps its own rows. A run's θ depends
only on the run's documents and the model (tomotopy ``infer`` with ``together=True`` starts its
own generator), so θ_d is the same bits as the store path's, whatever the shard size, order,
worker or scheduler (tested in tests/scale/test_dmr_shards.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import numpy as np

from zhengce.common.errors import UserError
from zhengce.common.manifest import config_hash
from zhengce.corpus import shards as sh
from zhengce.corpus.store import Store

from .shard_stages import Stage, _load_dictionary, folder_hash

TRAIN_FILE = "shard_topics.json"
PLAN_FILE = "infer_plan.npz"


class ShardCorpusRows:
    """Which rows of the token/bow shards form the topics corpus: those with ``n_tokens >= 1``,
    in shard order (= doc_id order, as exported), as ``TokenCorpus(min_tokens=1)`` selects."""

    def __init__(self, root: str | os.PathLike):
        tokens = sh.shard_set(root, "tokens")
        bow = sh.shard_set(root, "bow")
        if [s["documents"] for s in tokens.shards] != [s["documents"] for s in bow.shards]:
            raise UserError(f"{bow.folder} was not made from {tokens.folder} (shard sizes differ): "
                            "re-run zhengce shards bow")
        self.bow = bow
        self.shard_rows = np.array([s["documents"] for s in bow.shards], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.shard_rows)])
        keep: list[np.ndarray] = []
        self.doc_ids: list[str] = []
        for table in tokens.iter_tables(["doc_id", "n_tokens"]):
            mask = np.asarray(table.column("n_tokens").to_numpy(zero_copy_only=False)) >= 1
            keep.append(mask)
            ids = table.column("doc_id").to_pylist()
            self.doc_ids.extend(d for d, k in zip(ids, mask) if k)
        self.keep = np.concatenate(keep) if keep else np.zeros(0, dtype=bool)
        #: corpus position of every shard row, -1 for rows outside the corpus
        self.corpus_pos = np.where(self.keep, np.cumsum(self.keep) - 1, -1).astype(np.int64)


class ShardTopicCorpus:
    """Restartable bag-of-words stream over the corpus rows of the bow shards, with ``__len__``."""

    def __init__(self, rows: ShardCorpusRows):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows.doc_ids)

    def __iter__(self):
        g = 0
        for table in self.rows.bow.iter_tables(["term_ids", "counts"]):
            for ids, counts in zip(table.column("term_ids").to_pylist(),
                                   table.column("counts").to_pylist()):
                if self.rows.keep[g]:
                    yield list(zip(ids, counts))
                g += 1


def bow_dictionary(root: str | os.PathLike, dictionary_path: str | os.PathLike | None = None):
    """The dictionary the bow shards of ``root`` were made with (checked by hash) and its path."""
    from .text.bow import dictionary_hash

    bow = sh.shard_set(root, "bow")
    path = dictionary_path or bow.manifest.get("params", {}).get("dictionary")
    if not path:
        raise UserError(f"{bow.folder} does not name its dictionary: pass dictionary_path")
    dictionary = _load_dictionary(str(path))
    expected = bow.manifest.get("params", {}).get("dictionary_hash")
    if expected and dictionary_hash(dictionary) != expected:
        raise UserError(f"{path} is not the dictionary the bow shards in {bow.folder} were made "
                        "with; re-run zhengce shards bow with it")
    return dictionary, str(path)


def train_topics_from_shards(root: str | os.PathLike, store: Store, config, out: str | os.PathLike,
                             *, progress: Callable[[str], None] | None = None):
    """Fit ``config.model`` as ``make topics`` does, on the shards of ``root``; save the model,
    its dictionary path and hash, the scheme, the covariate coding and (DMR) the inference plan
    to ``out``. Returns the fitted model."""
    from .scheme import load_scheme
    from .text.bow import dictionary_hash
    from .topics.stage import _covariates, _make_model

    say = progress or (lambda msg: None)
    out = Path(out)
    rows = ShardCorpusRows(root)
    if not rows.doc_ids:
        raise UserError(f"{root}: no document has tokens; run zhengce shards segment first")
    dictionary, dict_path = bow_dictionary(root)
    scheme = load_scheme(config.scheme)
    seed_words = {name: [s.term for s in cat.seeds] for name, cat in scheme.categories.items()}
    model = _make_model(config, seed_words, config.random_state)
    corpus = ShardTopicCorpus(rows)
    say(f"fitting {config.model} on {len(corpus):,} documents of {root}")
    covariates = None
    if config.model == "dmr":
        sh.check_known_documents(store, rows.doc_ids, str(root))
        covariates = _covariates(store, rows.doc_ids)
        model.fit(corpus, dictionary, covariates=covariates, progress=say, infer_held_out=False)
    else:
        model.fit(corpus, dictionary, progress=say)
    model.save(out)
    # the model folder is self-contained: its dictionary travels with it (hash-checked on use)
    dictionary.save(str(out / "dictionary.gensim"))
    if config.model == "dmr":
        _write_plan(out / PLAN_FILE, model, rows, covariates)
    tokens = sh.shard_set(root, "tokens")
    meta = {"config": asdict(config), "model": config.model, "random_state": config.random_state,
            "dictionary": str((out / "dictionary.gensim").resolve()), "dictionary_source": dict_path,
            "dictionary_hash": dictionary_hash(dictionary),
            "scheme": scheme.as_dict(), "scheme_hash": scheme.hash,
            "token_config_hash": tokens.manifest.get("config_hash"),
            "n_documents": len(rows.doc_ids),
            "covariates": {"cell_columns": ["level", "period"],
                           "period_rule": "post if year > 2001 (zhengce.common.periods), "
                                          "unknown year counts as pre",
                           "level_missing": "unknown"}}
    (out / TRAIN_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1, default=str),
                                  encoding="utf-8")
    return model


def _write_plan(path: Path, model, rows: ShardCorpusRows, covariates) -> None:
    """Number the held-out documents that keep a known word, over all shards in corpus order."""
    cells, _, _ = model._encode_covariates(covariates, len(rows.doc_ids))
    cell_index = {c: i for i, c in enumerate(model.covariate_cells_)}
    cell_code = np.array([cell_index.get(c, -1) for c in cells], dtype=np.int32)
    token2id = {w: i for i, w in enumerate(model.vocabulary_)}
    known = np.zeros(len(model.vocabulary_), dtype=bool)
    known[[token2id[w] for w in model.model_.used_vocabs]] = True
    trained = np.asarray(model.trained_rows_, dtype=bool)
    ordinal = np.full(len(rows.corpus_pos), -1, dtype=np.int64)
    g, next_ordinal = 0, 0
    for table in rows.bow.iter_tables(["term_ids"]):
        for ids in table.column("term_ids").to_pylist():
            pos = rows.corpus_pos[g]
            if pos >= 0 and not trained[pos] and ids and known[ids].any():
                ordinal[g] = next_ordinal
                next_ordinal += 1
            g += 1
    first_ids = [s["first_doc_id"] for s in rows.bow.shards]
    np.savez_compressed(path, corpus_pos=rows.corpus_pos, ordinal=ordinal, cell_code=cell_code,
                        offsets=rows.offsets, first_doc_ids=np.array(first_ids, dtype=object).astype(str))


class DmrInferStage(Stage):
    """θ_d of the held-out documents of a seeded DMR trained by :func:`train_topics_from_shards`,
    in the store path's joint runs (see the module docstring); the other rows carry the
    sampler's θ (training documents) or the prior mean (no known word). Reads bow shards."""

    name = "infer"
    input_kind = "bow"
    output_kind = "doc_topics"
    run_stage = "topics_infer"

    def __init__(self, model_path: str | os.PathLike, root: str | os.PathLike):
        self.model_path = str(Path(model_path).resolve())
        self.bow_folder = str((Path(root) / "bow").resolve())
        if not (Path(self.model_path) / PLAN_FILE).is_file():
            raise UserError(f"{self.model_path} has no {PLAN_FILE}: train it with "
                            "zhengce shards train --model dmr")
        self.model_hash = folder_hash(self.model_path)

    def fingerprint(self) -> str:
        return config_hash({"model": self.model_hash, "runs": "dmr-joint-runs-v1"})

    def params(self) -> dict:
        return {"model": self.model_path, "model_hash": self.model_hash,
                "model_class": "SeededDmrModel",
                "runs": "held-out documents with a known word numbered in corpus order; "
                        "run = ordinal // infer_batch (the store path's runs)"}

    def setup(self):
        from .topics.models import load_model

        if folder_hash(self.model_path) != self.model_hash:
            raise UserError(f"the model at {self.model_path} differs from the client's; give "
                            "every worker the same model folder")
        model = load_model(self.model_path)
        with np.load(Path(self.model_path) / PLAN_FILE, allow_pickle=False) as plan:
            arrays = {k: np.array(plan[k]) for k in plan.files}
        arrays["shard_of_first"] = {d: i for i, d in enumerate(arrays["first_doc_ids"].tolist())}
        return model, arrays

    def process(self, state, table, run_id):
        import pyarrow as pa

        model, plan = state
        k = model.n_topics_
        doc_ids = table.column("doc_id").to_pylist()
        if not doc_ids:
            return pa.Table.from_pylist([], schema=sh.schema("doc_topics")), {"words": 0}
        shard = plan["shard_of_first"][doc_ids[0]]
        start = int(plan["offsets"][shard])
        pos = plan["corpus_pos"][start:start + len(doc_ids)]
        theta = model.doc_topic_[np.maximum(pos, 0)].copy()
        inferred = self._infer_runs(model, plan, start, len(doc_ids), table)
        for local, row in inferred.items():
            theta[local] = row
        kept = np.flatnonzero(pos >= 0)
        ids = np.array(doc_ids, dtype=object)[kept]
        out = pa.Table.from_arrays(
            [pa.array([run_id] * (len(kept) * k), pa.string()),
             pa.array(np.repeat(ids, k), pa.string()),
             pa.array(np.tile(np.arange(k, dtype=np.int32), len(kept)), pa.int32()),
             pa.array(theta[kept].ravel(), pa.float64())], schema=sh.schema("doc_topics"))
        return out, {"inferred": len(inferred)}

    def _infer_runs(self, model, plan, start: int, n: int, table) -> dict[int, np.ndarray]:
        """θ (normalized) of this shard's rows that have an ordinal, by local row."""
        from .topics.models import normalize_rows
        from .topics.models.dmr_inference import held_out_documents, joint_infer
        from .topics.models.validation import batched

        ordinal = plan["ordinal"]
        own = ordinal[start:start + n]
        if not (own >= 0).any():
            return {}
        batch = int(model.infer_batch)
        total = int(ordinal.max()) + 1
        lo = int(own[own >= 0].min()) // batch * batch
        hi = min((int(own.max()) // batch + 1) * batch, total)
        rows = np.flatnonzero((ordinal >= lo) & (ordinal < hi))
        bows = self._bows(plan, rows, start, n, table)
        cells = [model.covariate_cells_[plan["cell_code"][plan["corpus_pos"][g]]] for g in rows]
        vocabulary = model.vocabulary_
        items = ((j, [vocabulary[i] for i in np.repeat(ids, counts).tolist()])
                 for j, (ids, counts) in enumerate(bows))
        empty = [[] for _ in rows]
        docs = list(held_out_documents(model, items, cells, empty, empty))
        if len(docs) != len(rows):
            raise UserError(f"{self.model_path}: {PLAN_FILE} does not match the bow shards; "
                            "re-run zhengce shards train")
        out: dict[int, np.ndarray] = {}
        for run in batched(docs, batch):
            js, result = joint_infer(model, run)
            result = normalize_rows(result, "doc_topics")
            for j, row in zip(js, result):
                local = int(rows[j]) - start
                if 0 <= local < n:
                    out[local] = row
        return out

    def _bows(self, plan, rows: np.ndarray, start: int, n: int, table) -> list:
        """(term ids, counts) of the global shard rows ``rows``: this shard's from ``table``,
        a neighbour's (a run crossing the boundary) read from its file."""
        import pyarrow.parquet as pq

        offsets = plan["offsets"]
        shard_of = np.searchsorted(offsets, rows, side="right") - 1
        out = []
        cache: dict[int, tuple] = {}
        for g, s in zip(rows.tolist(), shard_of.tolist()):
            if start <= g < start + n:
                src, local = table, g - start
            else:
                if s not in cache:
                    cache[s] = pq.read_table(Path(self.bow_folder) / sh.shard_name(s),
                                             columns=["term_ids", "counts"])
                src, local = cache[s], g - int(offsets[s])
            out.append((np.asarray(src.column("term_ids")[local].as_py(), dtype=np.int64),
                        np.asarray(src.column("counts")[local].as_py(), dtype=np.int64)))
        return out
