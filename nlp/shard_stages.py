"""The stages that :func:`zhengce.nlp.distributed.run_parallel_stage` runs over shards.

Each stage is a small picklable parameter holder: the client sends it to the workers, where
:meth:`Stage.setup` builds the heavy state (segmenter, model, scheme) once per process, and
:meth:`Stage.process` turns one input table into an output table (or a value). See
:mod:`zhengce.nlp.distributed` for the table of stages and the exactness argument.
"""

from __future__ import annotations

import abc

import hashlib
import os
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from zhengce.common.errors import UserError
from zhengce.common.manifest import config_hash
from zhengce.corpus import shards as sh

# ---------------------------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------------------------

def folder_hash(path: str | os.PathLike) -> str:
    """SHA-256 over the relative names and contents of every file under ``path`` (a saved model)."""
    from zhengce.common.manifest import input_hash

    path = Path(path)
    if not path.exists():
        raise UserError(f"{path} does not exist; pass the folder given to model.save()")
    return input_hash(path)




def document_seed(random_state: int, doc_id: str) -> int:
    """The seed of document ``doc_id``'s variational start: 32 bits of
    SHA-256(``random_state`` ``\\x1f`` ``doc_id``)."""
    digest = hashlib.sha256(f"{int(random_state)}\x1f{doc_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "little")


class Stage(abc.ABC):
    """One parallel stage. Subclasses are small picklable parameter holders: the client sends
    them to the workers, where :meth:`setup` builds the heavy state once per process."""

    name = ""
    input_kind = "tokens"
    output_kind: str | None = None
    #: run-keyed output (doc_topics, dictionary_scores) gets a run id; its runs-table stage name
    run_stage: str | None = None

    @abc.abstractmethod
    def fingerprint(self) -> str:
        """Hash of everything that determines the output of a task given its input shard."""

    @abc.abstractmethod
    def params(self) -> dict:
        """Parameters recorded in the output manifest (and the imported run)."""

    @abc.abstractmethod
    def setup(self) -> Any:
        """Worker-side state (segmenter, model …), built once per worker process and thread."""

    @abc.abstractmethod
    def process(self, state: Any, table, run_id: str | None) -> tuple[Any, dict]:
        """Turn one input table into ``(output table or value, summary dict)``."""

    def merge_summary(self, total: dict, part: dict) -> None:
        """Fold one task's summary into the stage total (counters by default)."""
        for key, value in part.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
            elif isinstance(value, dict):
                sub = total.setdefault(key, {})
                for k, v in value.items():
                    sub[k] = sub.get(k, 0) + v


class SegmentStage(Stage):
    """Normalize + segment documents into token rows, exactly as the store's token cache does.

    Parameters
    ----------
    normalizer, segmenter : nlp.text.normalize.Normalizer, nlp.text.segment.Segmenter
        Default ``Normalizer()`` / ``Segmenter()``. Only their constructor parameters travel to
        the workers, which rebuild them and refuse to run if their configuration hash (backend
        version, dictionary file hashes …) differs from this process's.
    """

    name = "segment"
    input_kind = "documents"
    output_kind = "tokens"

    def __init__(self, normalizer=None, segmenter=None):
        from .text.normalize import Normalizer
        from .text.segment import Segmenter, token_config_hash

        normalizer = normalizer if normalizer is not None else Normalizer()
        segmenter = segmenter if segmenter is not None else Segmenter()
        self.normalizer_params = normalizer.params()
        self.segmenter_params = segmenter.params()
        self.config_hash = token_config_hash(normalizer, segmenter)
        self.segmenter_config = {
            "normalizer": {"config": normalizer.config(), "params": normalizer.params()},
            "segmenter": {"config": segmenter.config(), "params": segmenter.params()}}

    def fingerprint(self) -> str:
        return self.config_hash

    def params(self) -> dict:
        return {"config_hash": self.config_hash}

    def manifest_extra(self) -> dict:
        return {"config_hash": self.config_hash, "segmenter_config": self.segmenter_config}

    def setup(self):
        from .text.normalize import Normalizer
        from .text.segment import Segmenter, token_config_hash

        normalizer = Normalizer(**self.normalizer_params)
        segmenter = Segmenter(**self.segmenter_params)
        got = token_config_hash(normalizer, segmenter)
        if got != self.config_hash:
            raise UserError(f"worker {socket.gethostname()}:{os.getpid()} builds token config {got}, "
                            f"the client {self.config_hash}: install the same zhengce version, "
                            "backend and dictionary files on every worker")
        segmenter.engine  # load the dictionary before timing the first shard
        return normalizer, segmenter

    def process(self, state, table, run_id):
        import pyarrow as pa

        from .text.segment import _segment_batch

        normalizer, segmenter = state
        batch = list(zip(table.column("doc_id").to_pylist(), table.column("text").to_pylist()))
        rows, n_bytes, removed = _segment_batch(batch, self.config_hash, normalizer, segmenter)
        out = pa.Table.from_pylist(rows, schema=sh.schema("tokens"))
        return out, {"bytes": n_bytes, "tokens": int(sum(r["n_tokens"] for r in rows)),
                     "removed": dict(removed)}


class DictionaryStage(Stage):
    """Per-shard vocabulary statistics, merged by :func:`build_dictionary_from_shards`."""

    name = "dictionary"
    output_kind = None

    def fingerprint(self) -> str:
        return "dictionary-counts-v1"

    def params(self) -> dict:
        return {}

    def setup(self):
        return None

    def process(self, state, table, run_id):
        from .text.bow import count_dictionary

        # prune_at=None: exact counts (gensim's default prunes above 2M words, order-dependently)
        local = count_dictionary((t.split(" ") if t else [] for t in table.column("tokens").to_pylist()),
                                 prune_at=None)
        order = [None] * len(local.token2id)
        for token, i in local.token2id.items():
            order[i] = token
        value = {"order": order, "dfs": [local.dfs.get(i, 0) for i in range(len(order))],
                 "cfs": [local.cfs.get(i, 0) for i in range(len(order))],
                 "num_docs": local.num_docs, "num_pos": local.num_pos, "num_nnz": local.num_nnz}
        return value, {"tokens": local.num_pos}


class BowStage(Stage):
    """Bag of words of every document with a saved gensim ``Dictionary`` (``dictionary.save``)."""

    name = "bow"
    output_kind = "bow"

    def __init__(self, dictionary_path: str | os.PathLike):
        from .text.bow import dictionary_hash

        self.dictionary_path = str(Path(dictionary_path).resolve())
        self.dictionary_hash = dictionary_hash(_load_dictionary(self.dictionary_path))

    def fingerprint(self) -> str:
        return self.dictionary_hash[:16]

    def params(self) -> dict:
        return {"dictionary": self.dictionary_path, "dictionary_hash": self.dictionary_hash}

    def setup(self):
        from .text.bow import dictionary_hash

        dictionary = _load_dictionary(self.dictionary_path)
        if dictionary_hash(dictionary) != self.dictionary_hash:
            raise UserError(f"{self.dictionary_path} on worker {socket.gethostname()} differs from "
                            "the client's copy; give every worker the same dictionary file")
        return dictionary

    def process(self, dictionary, table, run_id):
        import pyarrow as pa

        from .text.bow import doc2bow

        ids, counts, n_words = [], [], 0
        for tokens in table.column("tokens").to_pylist():
            bow = doc2bow(dictionary.token2id, tokens.split(" ") if tokens else [])
            ids.append([i for i, _ in bow])
            counts.append([c for _, c in bow])
            n_words += sum(c for _, c in bow)
        out = pa.Table.from_arrays([table.column("doc_id"), pa.array(ids, pa.list_(pa.int32())),
                                    pa.array(counts, pa.list_(pa.int32()))],
                                   schema=sh.schema("bow"))
        return out, {"words": n_words}


class InferStage(Stage):
    """Document-topic shares θ_d of a saved gensim LDA model (LdaTopicModel or SeededLdaModel).

    ``random_state`` (default: the model's own) seeds every document's variational start through
    :func:`document_seed`; the E-step is gensim's ``LdaModel.inference`` with the model's
    ``iterations`` and tolerance, and θ_d = γ_d / Σ_k γ_dk in float64 as in ``transform``.
    Tokens the model's vocabulary does not know are ignored (as ``doc2bow`` does); a document with
    none gets the prior mean.
    """

    name = "infer"
    output_kind = "doc_topics"
    run_stage = "topics_infer"

    def __init__(self, model_path: str | os.PathLike, random_state: int | None = None):
        from .topics.models import load_model

        self.model_path = str(Path(model_path).resolve())
        model = load_model(self.model_path)
        _check_gensim_model(model, self.model_path)
        self.model_class = type(model).__name__
        self.n_topics = int(model.n_topics_)
        self.random_state = int(model.random_state if random_state is None else random_state)
        self.model_hash = folder_hash(self.model_path)

    def fingerprint(self) -> str:
        return config_hash({"model": self.model_hash, "random_state": self.random_state,
                           "seeding": "document_seed-v1"})

    def params(self) -> dict:
        return {"model": self.model_path, "model_hash": self.model_hash,
                "model_class": self.model_class, "n_topics": self.n_topics,
                "random_state": self.random_state,
                "seeding": "per document: RandomState(sha256(random_state \\x1f doc_id)[:4])"}

    def setup(self):
        from .topics.models import load_model

        if folder_hash(self.model_path) != self.model_hash:
            raise UserError(f"the model at {self.model_path} on worker {socket.gethostname()} "
                            "differs from the client's; give every worker the same model folder")
        model = load_model(self.model_path)
        token2id = {token: i for i, token in enumerate(model.vocabulary_)}
        return model.model_, token2id

    def process(self, state, table, run_id):
        import pyarrow as pa

        from .topics.models import normalize_rows

        lda, token2id = state
        doc_ids = table.column("doc_id").to_pylist()
        gamma = np.empty((len(doc_ids), lda.num_topics), dtype=np.float64)
        n_words = 0
        for d, (doc_id, tokens) in enumerate(zip(doc_ids, table.column("tokens").to_pylist())):
            counts = Counter(token2id[t] for t in (tokens.split(" ") if tokens else [])
                             if t in token2id)
            bow = sorted(counts.items())
            n_words += sum(counts.values())
            lda.random_state = np.random.RandomState(document_seed(self.random_state, doc_id))
            gamma_d, _ = lda.inference([bow])
            gamma[d] = gamma_d[0]
        theta = normalize_rows(gamma, "doc_topics") if len(doc_ids) else gamma
        k = lda.num_topics
        out = pa.Table.from_arrays(
            [pa.array([run_id] * (len(doc_ids) * k), pa.string()),
             pa.array(np.repeat(np.array(doc_ids, dtype=object), k), pa.string()),
             pa.array(np.tile(np.arange(k, dtype=np.int32), len(doc_ids)), pa.int32()),
             pa.array(theta.ravel(), pa.float64())], schema=sh.schema("doc_topics"))
        return out, {"words": n_words}


class ScoreStage(Stage):
    """The scheme's dictionary measure (:func:`nlp.scheme.score_tokens`) of every document."""

    name = "score"
    output_kind = "dictionary_scores"
    run_stage = "dictionary_scores"

    def __init__(self, scheme_path: str | os.PathLike | None = None):
        from .scheme import DEFAULT_SCHEME, load_scheme

        self.scheme_path = str(Path(scheme_path or DEFAULT_SCHEME).resolve())
        scheme = load_scheme(self.scheme_path)
        self.scheme_name = scheme.name
        self.scheme_hash = scheme.hash

    def fingerprint(self) -> str:
        return self.scheme_hash

    def params(self) -> dict:
        return {"scheme": self.scheme_name, "scheme_hash": self.scheme_hash,
                "scheme_file": self.scheme_path}

    def setup(self):
        from .scheme import load_scheme

        scheme = load_scheme(self.scheme_path)
        if scheme.hash != self.scheme_hash:
            raise UserError(f"the scheme {self.scheme_path} on worker {socket.gethostname()} "
                            "differs from the client's; give every worker the same scheme file")
        return scheme

    def process(self, scheme, table, run_id):
        import pyarrow as pa

        from .scheme import score_tokens

        rows = []
        for doc_id, tokens in zip(table.column("doc_id").to_pylist(),
                                  table.column("tokens").to_pylist()):
            for category, score in score_tokens(tokens.split(" ") if tokens else [], scheme).items():
                rows.append({"run_id": run_id, "doc_id": doc_id, "category": category, **score})
        return pa.Table.from_pylist(rows, schema=sh.schema("dictionary_scores")), {}


def _load_dictionary(path: str):
    from gensim.corpora import Dictionary

    if not Path(path).is_file():
        raise UserError(f"no dictionary at {path}: build one with zhengce shards dictionary DIR "
                        "(or gensim Dictionary.save)")
    try:
        return Dictionary.load(path)
    except Exception as exc:  # gensim raises pickle / attribute errors for foreign files
        raise UserError(f"{path} is not a saved gensim Dictionary ({type(exc).__name__}: {exc})") from None


def _check_gensim_model(model, path: str) -> None:
    from .topics.models import LdaTopicModel

    if not isinstance(model, LdaTopicModel):
        raise UserError(f"{path} holds a {type(model).__name__}; this stage infers the gensim "
                        "models (LdaTopicModel, SeededLdaModel). For seeded DMR train with "
                        "zhengce shards train --model dmr, which writes the joint-run plan "
                        "shards infer uses")
