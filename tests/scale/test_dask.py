"""The parallel stages on a real Dask cluster: a scheduler and two worker processes on 127.0.0.1,
started here as separate processes (``dask scheduler`` / ``dask worker``) and stopped afterwards.
The distributed run must give exactly the shards of the local run."""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from zhengce.corpus import shards as sh
from zhengce.common.errors import UserError
from zhengce.corpus.store import Store
from zhengce.nlp import distributed as dist
from zhengce.nlp.topics.models import LdaTopicModel

from local_dask import local_dask_cluster
from scale_corpus import N_DOCS, fill_store

try:
    import dask  # noqa: F401
    import distributed  # noqa: F401
    HAVE_DASK = True
except ImportError:  # pragma: no cover - CI always has them (zhengce[scale])
    HAVE_DASK = False

pytestmark = [pytest.mark.dask,
              pytest.mark.skipif(not HAVE_DASK, reason="dask and distributed are not installed: "
                                 "pip install 'zhengce[scale]'")]

K = 4


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``dask scheduler --host 127.0.0.1 --port 0`` + two ``dask worker`` processes; yields the
    scheduler's tcp address, its scheduler file and the workers' pids."""
    with local_dask_cluster(tmp_path_factory.mktemp("dask"), 2) as running:
        assert running["address"].startswith("tcp://127.0.0.1:")
        assert len(running["worker_pids"]) == 2 and os.getpid() not in running["worker_pids"]
        yield running


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The reference: every stage on a local pool of 2 processes, 9 shards of 5 documents."""
    base = tmp_path_factory.mktemp("local")
    store = Store.open(base / "corpus.db")
    fill_store(store)
    root = base / "run"
    sh.export_documents(store, root, rows=5)
    store.close()
    documents = base / "documents-only"
    shutil.copytree(root / "documents", documents / "documents")
    dist.run_parallel_stage(dist.SegmentStage(), root, n_jobs=2)
    dist.build_dictionary_from_shards(root, no_below=1, no_above=1.0, keep_n=None, n_jobs=2)
    dist.run_parallel_stage(dist.BowStage(root / "dictionary.gensim"), root, n_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "too few updates" on 45 documents: not the point here
        dist.train_from_shards(root, LdaTopicModel(n_topics=K, passes=5, iterations=50,
                                                   chunksize=10, random_state=0),
                               out=base / "model")
    dist.run_parallel_stage(dist.InferStage(base / "model"), root, n_jobs=2)
    dist.run_parallel_stage(dist.ScoreStage(), root, n_jobs=2)
    return {"root": root, "documents": documents, "model": base / "model"}


def _table(root, kind, drop=("run_id",)):
    tables = [t.drop_columns([c for c in drop if c in t.column_names])
              for t in sh.shard_set(root, kind).iter_tables()]
    import pyarrow as pa

    return pa.concat_tables(tables)


def test_distributed_run_gives_exactly_the_local_tokens_and_topic_shares(cluster, local_run, tmp_path):
    root = tmp_path / "run"
    shutil.copytree(local_run["documents"] / "documents", root / "documents")
    address = cluster["address"]

    seg = dist.run_parallel_stage(dist.SegmentStage(), root, scheduler=address)
    assert seg.executor == f"dask {address}, 2 worker(s)"
    assert (seg.n_shards, seg.n_run, seg.n_documents) == (9, 9, N_DOCS)
    # both worker processes did work, and none of it ran in this process
    assert {int(w.rsplit(":", 1)[1]) for w in seg.workers} == cluster["worker_pids"]
    assert _table(root, "tokens").equals(_table(local_run["root"], "tokens"))
    assert ([s["sha256"] for s in sh.shard_set(root, "tokens").shards]
            == [s["sha256"] for s in sh.shard_set(local_run["root"], "tokens").shards])

    _, report, _ = dist.build_dictionary_from_shards(root, no_below=1, no_above=1.0, keep_n=None,
                                                     scheduler=address)
    local_report = json.loads((local_run["root"] / "dictionary.json").read_text())
    assert report.dictionary_hash == local_report["dictionary_hash"]

    bow = dist.run_parallel_stage(dist.BowStage(root / "dictionary.gensim"), root, scheduler=address)
    assert bow.n_documents == N_DOCS
    assert _table(root, "bow").equals(_table(local_run["root"], "bow"))

    # inference with the model trained in the local run: θ identical to the last bit
    infer = dist.run_parallel_stage(dist.InferStage(local_run["model"]), root, scheduler=address)
    assert infer.n_documents == N_DOCS and infer.run_id.startswith("topics_infer-")
    mine, theirs = _table(root, "doc_topics"), _table(local_run["root"], "doc_topics")
    assert mine.num_rows == N_DOCS * K
    assert mine.column("doc_id").to_pylist() == theirs.column("doc_id").to_pylist()
    assert np.array_equal(mine.column("weight").to_numpy(), theirs.column("weight").to_numpy())

    score = dist.run_parallel_stage(dist.ScoreStage(), root, scheduler=cluster["scheduler_file"])
    assert score.executor.startswith("dask ")
    assert _table(root, "dictionary_scores").equals(_table(local_run["root"], "dictionary_scores"))


def test_a_worker_error_reaches_the_client_as_the_users_error(cluster, tmp_path, local_run):
    root = tmp_path / "broken"
    shutil.copytree(local_run["documents"] / "documents", root / "documents")
    (root / "documents" / "part-00004.parquet").write_bytes(b"not parquet")
    with pytest.raises(UserError, match="part-00004.parquet changed after its manifest"):
        dist.run_parallel_stage(dist.SegmentStage(), root, scheduler=cluster["address"])


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, local_run):
    root = tmp_path / "x"
    shutil.copytree(local_run["documents"] / "documents", root / "documents")
    with pytest.raises(UserError, match="cannot reach the Dask scheduler tcp://127.0.0.1:9"):
        dist.make_executor("tcp://127.0.0.1:9", timeout=2)
