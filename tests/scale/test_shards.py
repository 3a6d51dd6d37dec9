"""Parquet shards (corpus.shards) and the parallel stages on a local process pool (nlp.distributed)."""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner

from zhengce.corpus import shards as sh
from zhengce.common.errors import UserError
from zhengce.corpus.store import Store
from zhengce.nlp import distributed as dist
from zhengce.nlp.text.bow import TokenCorpus, build_dictionary
from zhengce.nlp.topics.models import LdaTopicModel
from zhengce.nlp.shard_import import import_shards
from zhengce.nlp.scheme import dictionary_scores, load_dictionary_scores, load_scheme
from zhengce.nlp.text.segment import segment_corpus

from scale_corpus import N_DOCS, doc_text, fill_store

K = 4
D033_TOKENS = "国务院 决定 淘汰落后产能 关停 钢厂 建立健全 质量标准 体系 实行 许可 管理"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """export → segment → dictionary → bow → train → infer → score, once, on 3 shards."""
    base = tmp_path_factory.mktemp("shards")
    store = Store.open(base / "corpus.db")
    fill_store(store)
    root = base / "run"
    sh.export_documents(store, root, rows=20)
    seg = dist.run_parallel_stage(dist.SegmentStage(), root, n_jobs=2)
    dist.build_dictionary_from_shards(root, no_below=1, no_above=1.0, keep_n=None, n_jobs=2)
    dist.run_parallel_stage(dist.BowStage(root / "dictionary.gensim"), root, n_jobs=2)
    model = LdaTopicModel(n_topics=K, passes=5, iterations=50, chunksize=20, random_state=0)
    with warnings.catch_warnings():
        # "too few updates" on 45 documents is expected here and not the point of these tests
        warnings.simplefilter("ignore")
        dist.train_from_shards(root, model, out=base / "model")
    infer = dist.run_parallel_stage(dist.InferStage(base / "model"), root, n_jobs=2)
    score = dist.run_parallel_stage(dist.ScoreStage(), root, n_jobs=2)
    yield {"store": store, "root": root, "base": base, "segment": seg, "infer": infer,
           "score": score, "model_path": base / "model"}
    store.close()


def theta_by_doc(root, kind="doc_topics") -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for row in sh.shard_set(root, kind).iter_rows():
        weights = out.setdefault(row["doc_id"], [0.0] * K)
        weights[row["topic"]] = row["weight"]
    return out


# -- export --------------------------------------------------------------------------------------

def test_export_cuts_documents_into_shards_of_n_rows(small_store, tmp_path):
    result = sh.export_documents(small_store, tmp_path / "out", rows=20)
    assert [s["documents"] for s in result.shards] == [20, 20, 5]
    assert [(s["first_doc_id"], s["last_doc_id"]) for s in result.shards] == [
        ("d000", "d019"), ("d020", "d039"), ("d040", "d044")]
    assert [p.name for p in result.paths()] == ["part-00000.parquet", "part-00001.parquet",
                                                "part-00002.parquet"]
    reopened = sh.shard_set(tmp_path / "out", "documents")
    assert reopened.n_documents == N_DOCS
    rows = {r["doc_id"]: r["text"] for r in reopened.iter_rows()}
    assert rows["d033"] == "国务院决定淘汰落后产能，关停一批小钢厂。建立健全质量标准体系，实行许可管理。"
    assert rows["d000"] == "。。。"
    for shard, path in zip(reopened.shards, reopened.paths()):
        assert shard["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert sh.read_meta(path)["index"] == shard["index"]


def test_export_with_a_condition_and_an_empty_selection(small_store, tmp_path):
    result = sh.export_documents(small_store, tmp_path / "a", rows=3, where="d.doc_id >= ?",
                                 params=["d040"])
    assert [s["documents"] for s in result.shards] == [3, 2]
    with pytest.raises(UserError, match="no documents match"):
        sh.export_documents(small_store, tmp_path / "b", where="d.doc_id > ?", params=["z"])


def test_re_export_with_fewer_shards_removes_the_stale_files(small_store, tmp_path):
    sh.export_documents(small_store, tmp_path, rows=10)
    assert len(list((tmp_path / "documents").glob("part-*.parquet"))) == 5
    sh.export_documents(small_store, tmp_path, rows=30)
    assert sorted(p.name for p in (tmp_path / "documents").glob("part-*.parquet")) == [
        "part-00000.parquet", "part-00001.parquet"]


def test_shard_writer_needs_increasing_unique_ids(tmp_path):
    writer = sh.ShardWriter(tmp_path, "documents", rows=10)
    writer.add({"doc_id": "b", "text": "x"})
    with pytest.raises(UserError, match="strictly increasing doc_id"):
        writer.add({"doc_id": "b", "text": "y"})
    with pytest.raises(UserError, match="no doc_id"):
        writer.add({"doc_id": "", "text": "y"})
    with pytest.raises(UserError, match="rows per shard"):
        sh.ShardWriter(tmp_path, "documents", rows=0)


def test_missing_shards_name_the_command_that_makes_them(tmp_path):
    with pytest.raises(UserError, match="zhengce shards segment"):
        sh.shard_set(tmp_path, "tokens")
    with pytest.raises(UserError, match="unknown shard kind 'texts'"):
        sh.shard_set(tmp_path, "texts")


# -- segment ---------------------------------------------------------------------------------------

def test_segment_stage_gives_the_token_cache_rows(run):
    store = run["store"]
    summary = segment_corpus(store, n_jobs=1)
    assert summary["config_hash"] == run["segment"].fingerprint
    cached = {r["doc_id"]: r for r in store.db.query(
        "select doc_id, tokens, n_tokens, text_hash from tokens where config_hash = ?",
        [summary["config_hash"]])}
    sharded = {r["doc_id"]: r for r in sh.shard_set(run["root"], "tokens").iter_rows()}
    assert set(sharded) == set(cached) and len(sharded) == N_DOCS
    for doc_id, row in sharded.items():
        assert (row["tokens"], row["n_tokens"], row["text_hash"]) == (
            cached[doc_id]["tokens"], cached[doc_id]["n_tokens"], cached[doc_id]["text_hash"])
        assert row["config_hash"] == summary["config_hash"]
    assert sharded["d033"]["tokens"] == D033_TOKENS and sharded["d033"]["n_tokens"] == 11
    assert sharded["d000"]["tokens"] == "" and sharded["d000"]["n_tokens"] == 0
    assert sharded["d001"]["text_hash"] == hashlib.sha256(doc_text(1).encode()).hexdigest()
    assert run["segment"].n_run == 3 and run["segment"].n_reused == 0


def test_a_stage_resumes_and_checks_its_input(run, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(run["root"], root)
    before = sh.shard_set(root, "tokens").shards
    (root / "tokens" / "part-00001.parquet").unlink()
    report = dist.run_parallel_stage(dist.SegmentStage(), root, n_jobs=1)
    assert (report.n_run, report.n_reused) == (1, 2)
    assert sh.shard_set(root, "tokens").shards == before  # same bytes again
    # an input shard rewritten behind its manifest's back is refused
    table = sh.read_table(root / "documents" / "part-00002.parquet")
    changed = table.set_column(1, "text", pa.array(["改过的文本"] * table.num_rows))
    sh.write_table(root / "documents" / "part-00002.parquet", changed)
    (root / "tokens" / "part-00002.parquet").unlink()
    with pytest.raises(UserError, match="changed after its manifest was written"):
        dist.run_parallel_stage(dist.SegmentStage(), root, n_jobs=1)


# -- dictionary and bag of words -------------------------------------------------------------------

@pytest.mark.parametrize("no_below,no_above,keep_n", [(1, 1.0, None), (2, 0.3, 10)])
def test_dictionary_from_shards_equals_the_sequential_build(run, tmp_path, no_below, no_above, keep_n):
    store = run["store"]
    config_hash = run["segment"].fingerprint
    segment_corpus(store, n_jobs=1)
    expected, expected_report = build_dictionary(TokenCorpus(store, config_hash), no_below=no_below,
                                                 no_above=no_above, keep_n=keep_n)
    got, report, path = dist.build_dictionary_from_shards(
        run["root"], no_below=no_below, no_above=no_above, keep_n=keep_n, n_jobs=2,
        out=tmp_path / "d.gensim")
    assert report.dictionary_hash == expected_report.dictionary_hash
    assert (report.vocab_before, report.vocab_after) == (expected_report.vocab_before,
                                                         expected_report.vocab_after)
    assert json.loads(path.with_suffix(".json").read_text())["vocab_after"] == report.vocab_after
    if no_below == 1:
        # 淘汰落后产能 is in sentence 0: documents with bit 0 set, d001 … d043 odd = 22
        assert got.dfs[got.token2id["淘汰落后产能"]] == 22
        assert got.num_docs == N_DOCS


def test_bow_shards_stream_the_bag_of_words(run):
    corpus = dist.ShardBowCorpus(run["root"])
    assert len(corpus) == N_DOCS
    first, second = list(corpus), list(corpus)
    assert first == second and first[0] == []  # d000 has no tokens
    from gensim.corpora import Dictionary

    dictionary = Dictionary.load(str(run["root"] / "dictionary.gensim"))
    d033 = first[corpus.doc_ids().index("d033")]
    assert d033 == dictionary.doc2bow(D033_TOKENS.split(" "))
    assert sum(c for _, c in d033) == 11


# -- inference -------------------------------------------------------------------------------------

def test_inference_rows_are_shares_and_the_empty_document_gets_the_prior_mean(run):
    theta = theta_by_doc(run["root"])
    assert len(theta) == N_DOCS
    for weights in theta.values():
        assert abs(sum(weights) - 1.0) < 1e-12
    assert theta["d000"] == [0.25, 0.25, 0.25, 0.25]  # symmetric α = 1/K, no words
    assert sh.shard_set(run["root"], "doc_topics").manifest["run_id"] == run["infer"].run_id
    assert run["infer"].run_id.startswith("topics_infer-")


def test_inference_does_not_depend_on_shard_boundaries_or_workers(run, tmp_path):
    other = tmp_path / "seven"
    shutil.copytree(run["root"] / "tokens", tmp_path / "src" / "tokens")
    source = sh.shard_set(tmp_path / "src", "tokens")
    writer = sh.ShardWriter(other, "tokens", rows=7,
                            meta={k: source.manifest[k] for k in ("config_hash", "segmenter_config")})
    for row in sh.shard_set(tmp_path / "src", "tokens").iter_rows():
        writer.add(row)
    assert len(writer.close()) == 7
    dist.run_parallel_stage(dist.InferStage(run["model_path"]), other, n_jobs=1)
    assert theta_by_doc(other) == theta_by_doc(run["root"])


def test_the_seed_is_per_document_and_matters(run, tmp_path):
    assert dist.document_seed(0, "d001") == int.from_bytes(
        hashlib.sha256("0\x1fd001".encode()).digest()[:4], "little")
    root = tmp_path / "r"
    shutil.copytree(run["root"] / "tokens", root / "tokens")
    dist.run_parallel_stage(dist.InferStage(run["model_path"], random_state=12345), root, n_jobs=1)
    a, b = theta_by_doc(run["root"]), theta_by_doc(root)
    assert a["d000"] == b["d000"]  # nothing to infer: the prior mean either way
    assert any(a[d] != b[d] for d in a)
    assert max(abs(x - y) for d in a for x, y in zip(a[d], b[d])) < 0.2


def test_inference_refuses_a_folder_that_is_not_a_model(tmp_path):
    with pytest.raises(UserError, match="not a saved topic model"):
        dist.InferStage(tmp_path)


# -- dictionary scores -----------------------------------------------------------------------------

def test_score_stage_gives_the_dictionary_measure(run):
    rows = {(r["doc_id"], r["category"]): r
            for r in sh.shard_set(run["root"], "dictionary_scores").iter_rows()}
    assert len(rows) == N_DOCS * 3
    # d033: 国务院 决定 [淘汰落后产能] [关停] 钢厂 建立健全 质量标准 体系 实行 [许可 ×0.5] 管理
    directive, regulatory = rows[("d033", "directive")], rows[("d033", "regulatory")]
    assert (directive["n_terms"], directive["n_tokens"], directive["weighted_terms"]) == (2, 11, 2.0)
    assert directive["share"] == 2 / 11 and directive["share_of_scheme"] == 2 / 3
    assert (regulatory["n_terms"], regulatory["weighted_terms"]) == (1, 0.5)
    assert regulatory["share"] == 1 / 11 and regulatory["share_of_scheme"] == 1 / 3
    assert rows[("d033", "developmental")]["n_terms"] == 0
    # the same numbers as the store's own dictionary_scores
    store = run["store"]
    segment_corpus(store, n_jobs=1)
    result = dictionary_scores(TokenCorpus(store, run["segment"].fingerprint), load_scheme())
    stored = load_dictionary_scores(store, result.run_id)
    for r in stored.to_dict(orient="records"):
        got = rows[(r["doc_id"], r["category"])]
        assert {k: got[k] for k in r} == r


# -- import ----------------------------------------------------------------------------------------

def test_import_is_idempotent_and_records_the_runs(run, tmp_path):
    store = Store.open(tmp_path / "fresh.db")
    fill_store(store)
    first = import_shards(store, run["root"])
    second = import_shards(store, run["root"])
    assert first == second
    assert first["tokens"] == {"documents": N_DOCS, "config_hash": run["segment"].fingerprint}
    assert first["doc_topics"] == {"documents": N_DOCS, "run_id": run["infer"].run_id}
    assert store.count("tokens") == N_DOCS
    assert store.count("doc_topics") == N_DOCS * K
    assert store.count("dictionary_scores") == N_DOCS * 3
    stages = [r[0] for r in store.db.execute("select stage from runs order by stage")]
    assert stages == ["dictionary_scores", "shards_import", "shards_import", "topics_infer"]
    params = json.loads(store.db.execute("select params from runs where run_id = ?",
                                         [run["infer"].run_id]).fetchone()[0])
    assert params["n_topics"] == K and params["random_state"] == 0
    # the imported token cache is usable as is: segment_corpus finds nothing to do
    assert TokenCorpus(store, run["segment"].fingerprint).n_selected == N_DOCS
    assert segment_corpus(store, n_jobs=1)["n_segmented"] == 0
    wide = load_dictionary_scores(store, run["score"].run_id, wide=True)
    assert wide.set_index("doc_id").loc["d033", "n_terms_directive"] == 2
    store.close()


def test_import_refuses_documents_the_store_does_not_have(run, tmp_path):
    store = Store.open(tmp_path / "short.db")
    fill_store(store, n_docs=44)
    with pytest.raises(UserError, match=r"1 document\(s\) are not in this database \(first: 'd044'\)"):
        import_shards(store, run["root"], kinds=["doc_topics"])
    with pytest.raises(UserError, match="importable kinds"):
        import_shards(store, run["root"], kinds=["bow"])
    store.close()


# -- command line ----------------------------------------------------------------------------------

def test_cli_export_segment_score_import(small_store, tmp_path):
    from zhengce.nlp.cli import shards

    db = small_store.path
    runner = CliRunner()
    out = tmp_path / "cli"
    res = runner.invoke(shards, ["export", "--db", db, "--out", str(out), "--rows", "20"])
    assert res.exit_code == 0, res.output
    assert "exported 45 documents in 3 documents shards" in res.output
    res = runner.invoke(shards, ["segment", str(out), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("segment: 45 documents in 3 shards (3 run)")
    res = runner.invoke(shards, ["score", str(out), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(shards, ["import", str(out), "--db", db])
    assert res.exit_code == 0, res.output
    assert "imported tokens: 45 documents" in res.output
    assert "imported dictionary_scores: 45 documents" in res.output
    with Store.open(db) as store:
        assert store.count("tokens") == 45 and store.count("dictionary_scores") == 135
    res = runner.invoke(shards, ["info", str(out)])
    assert "documents: 45 documents in 3 shards" in res.output
    assert "tokens: 45 documents in 3 shards" in res.output


def test_cli_dictionary_bow_train_infer(run, tmp_path):
    from zhengce.nlp.cli import shards

    root = tmp_path / "cli2"
    shutil.copytree(run["root"] / "tokens", root / "tokens")
    runner = CliRunner()
    res = runner.invoke(shards, ["dictionary", str(root), "--no-below", "2", "--no-above", "0.9",
                                 "--keep-n", "0", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert "dictionary: 45 documents, vocabulary" in res.output and "keep_n=None" in res.output
    res = runner.invoke(shards, ["bow", str(root), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = runner.invoke(shards, ["train", str(root), "--out", str(tmp_path / "m"), "--k", "3",
                                     "--passes", "2", "--iterations", "20", "--chunksize", "10"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("LDA K=3: 45 documents")
    res = runner.invoke(shards, ["infer", str(root), "--model", str(tmp_path / "m"), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert sh.shard_set(root, "doc_topics").manifest["params"]["n_topics"] == 3
    res = runner.invoke(shards, ["infer", str(root), "--model", str(tmp_path / "nowhere")])
    assert res.exit_code != 0 and "not a saved topic model" in str(res.exception)


def test_export_tokens_of_a_segmented_store(run, tmp_path):
    store = run["store"]
    summary = segment_corpus(store, n_jobs=1)
    exported = sh.export_tokens(store, tmp_path, summary["config_hash"], rows=20)
    assert [s["documents"] for s in exported.shards] == [20, 20, 5]
    assert exported.manifest["config_hash"] == summary["config_hash"]
    mine = {r["doc_id"]: r for r in exported.iter_rows()}
    theirs = {r["doc_id"]: r for r in sh.shard_set(run["root"], "tokens").iter_rows()}
    assert mine == theirs
    with pytest.raises(UserError, match="no token cache 'nope'"):
        sh.export_tokens(store, tmp_path / "x", "nope")
