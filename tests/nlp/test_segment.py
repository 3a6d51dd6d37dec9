"""Segmenter: user dictionary, filters, config hash, backend parity, and the token cache."""

from __future__ import annotations

import gzip
import json
import os

import pytest

from zhengce.common.errors import UserError
from zhengce.nlp.text.normalize import Normalizer
from zhengce.nlp.text.segment import (DEFAULT_USER_DICT, Segmenter, UserWord, load_pipeline, read_user_dict,
                         segment_corpus, token_config_hash)

SENTENCE = "坚决淘汰落后产能，严格控制新增产能。"


# -- user dictionary files ---------------------------------------------------------------------

def test_user_dict_bom_crlf_and_fields(tmp_path):
    path = tmp_path / "u.txt"
    path.write_bytes("\ufeff淘汰落后产能 2000 nz\r\n# comment\r\n\r\n首台套\r\n反垄断 ns\r\nWTO规则 5\r\n"
                     .encode("utf-8"))
    assert read_user_dict(path) == [
        UserWord("淘汰落后产能", 2000, "nz", f"{path}:1"),
        UserWord("首台套", None, None, f"{path}:4"),
        UserWord("反垄断", None, "ns", f"{path}:5"),
        UserWord("WTO规则", 5, None, f"{path}:6"),
    ]


@pytest.mark.parametrize("line, message", [
    ("世界 贸易 组织 3", r"u\.txt:2: .* has 4 fields; .* cannot contain a space"),
    ("世界 贸易组织", r"u\.txt:2: .* a word cannot contain a space"),
    ("专项资金 0", r"u\.txt:2: frequency of '专项资金' is 0"),
    ("ＷＴＯ规则", r"u\.txt:2: 'ＷＴＯ规则' is not in NFKC form .* 'WTO规则'"),
    ("《反垄断法》", r"u\.txt:2: '《反垄断法》' contains '《》'"),
    ("首台套 5", r"u\.txt:2: '首台套' is already listed at line 1"),
])
def test_user_dict_errors_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "u.txt"
    path.write_text("首台套 10\n" + line + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=message):
        read_user_dict(path)


def test_default_user_dict_parses():
    words = read_user_dict(DEFAULT_USER_DICT)
    assert {"淘汰落后产能", "战略性新兴产业", "首台套", "国家发展和改革委员会"} <= {w.word for w in words}
    assert all(w.freq is not None and w.freq >= 1000 for w in words)


# -- segmentation and filtering ----------------------------------------------------------------

@pytest.mark.parametrize("backend", ["rjieba", "jieba"])
def test_user_dictionary_keeps_policy_terms(backend):
    seg = Segmenter(backend=backend)
    assert seg.raw_tokens(SENTENCE) == ["坚决", "淘汰落后产能", "，", "严格控制", "新增", "产能", "。"]
    assert seg.tokens(SENTENCE) == ["坚决", "淘汰落后产能", "严格控制", "新增", "产能"]
    plain = Segmenter(backend=backend, user_dict=False)
    assert plain.raw_tokens("坚决淘汰落后产能") == ["坚决", "淘汰", "落后", "产能"]


def test_user_word_without_frequency(tmp_path):
    path = tmp_path / "u.txt"
    path.write_text("新增产能\n产能 5\n", encoding="utf-8")
    for backend in ("rjieba", "jieba"):
        seg = Segmenter(backend=backend, user_dict=path)
        # a new word gets DEFAULT_USER_FREQ and stays whole
        assert seg.raw_tokens("严格控制新增产能") == ["严格控制", "新增产能"]
        assert seg.has_word("新增产能")


def test_jieba_backend_is_private_and_caches_in_project_folder(tmp_path, monkeypatch):
    import jieba

    monkeypatch.setenv("ZHENGCE_CACHE", str(tmp_path))
    seg = Segmenter(backend="jieba")
    assert seg.raw_tokens("坚决淘汰落后产能") == ["坚决", "淘汰落后产能"]
    assert (tmp_path / "jieba" / f"jieba-{jieba.__version__}-dict.cache").is_file()
    assert jieba.dt.FREQ.get("淘汰落后产能") is None  # the module-level tokenizer is untouched


def test_filters():
    seg = Segmenter()
    text = "2001年12月11日，中国加入世界贸易组织，第三十二条规定的十一五规划。"
    assert seg.raw_tokens(text) == ["2001", "年", "12", "月", "11", "日", "，", "中国", "加入",
                                    "世界贸易组织", "，", "第三十二条", "规定", "的", "十一五",
                                    "规划", "。"]
    # numbers, single characters, punctuation and 第三十二条 go; the five-year-plan label stays
    assert seg.tokens(text) == ["中国", "加入", "世界贸易组织", "规定", "十一五", "规划"]
    keep_all = Segmenter(stopwords=False, min_len=1, drop_numbers=False, drop_punct=False)
    assert keep_all.tokens(text) == [t for t in seg.raw_tokens(text)]
    assert Segmenter(min_len=3).tokens(text) == ["世界贸易组织", "十一五"]


def test_stopwords_sources(tmp_path):
    stop = tmp_path / "stop.txt"
    stop.write_text("# mine\n产能\n", encoding="utf-8")
    seg = Segmenter(stopwords=[stop])
    assert seg.stopwords == frozenset({"产能"})
    assert seg.tokens(SENTENCE) == ["坚决", "淘汰落后产能", "严格控制", "新增"]
    default = Segmenter()
    assert {"特此通知", "人民政府", "附件"} <= default.stopwords  # policy file
    assert {"我们", "因为"} <= default.stopwords  # stopwords-iso zh


@pytest.mark.parametrize("backend", ["rjieba", "jieba"])
def test_pos_filter(backend):
    # jieba's dict.txt: 坚决 ad, 严格控制 n, 新增 v, 产能 v; the user dictionary tags 淘汰落后产能 nz
    verbs = Segmenter(backend=backend, keep_pos=["v"], stopwords=False)
    assert verbs.tokens(SENTENCE) == ["新增", "产能"]
    nouns = Segmenter(backend=backend, keep_pos=["n"], stopwords=False)
    assert nouns.tokens(SENTENCE) == ["淘汰落后产能", "严格控制"]


def test_config_hash(tmp_path):
    base = Segmenter()
    assert Segmenter().config_hash == base.config_hash
    assert Segmenter(hmm=True).config_hash != base.config_hash
    assert Segmenter(backend="jieba").config_hash != base.config_hash
    assert Segmenter(min_len=1).config_hash != base.config_hash
    path = tmp_path / "u.txt"
    path.write_text("新增产能 1000\n", encoding="utf-8")
    first = Segmenter(user_dict=path).config_hash
    path.write_text("新增产能 2000\n", encoding="utf-8")
    assert Segmenter(user_dict=path).config_hash != first
    assert base.config()["hmm"] is False


def test_bad_parameters():
    with pytest.raises(UserError, match="unknown segmenter backend 'pkuseg'"):
        Segmenter(backend="pkuseg")
    with pytest.raises(UserError, match="hmm must be True or False"):
        Segmenter(hmm=1)
    with pytest.raises(UserError, match="keep_pos is empty"):
        Segmenter(keep_pos=[])


def test_segmenter_pickles_by_parameters():
    import pickle

    seg = Segmenter(min_len=3)
    clone = pickle.loads(pickle.dumps(seg))
    assert clone.config_hash == seg.config_hash
    assert clone.tokens(SENTENCE) == ["淘汰落后产能", "严格控制"]


# -- parity of the two backends on the real corpus ---------------------------------------------

def test_rjieba_jieba_parity_lawrefbook_subset(lawrefbook_path):
    """Every 7th law of LawRefBook (sorted by path: 470 documents, ~2.7 M characters): raw tokens
    of jieba and rjieba with the same user dictionary, HMM off. Full corpus: tests/bench."""
    with gzip.open(lawrefbook_path, "rt", encoding="utf-8") as fh:
        records = sorted((json.loads(line) for line in fh), key=lambda r: r["source_path"])
    subset = [r["text"] for r in records[::7]]
    assert len(subset) == 470
    fast, slow = Segmenter(backend="rjieba"), Segmenter(backend="jieba")
    identical = sum(fast.raw_tokens(t) == slow.raw_tokens(t) for t in subset)
    assert identical / len(subset) >= 1.0  # measured: 470 / 470 (full corpus: 3,284 / 3,284)


def test_hmm_breaks_parity_on_latin_runs():
    # Documented difference: with HMM on, jieba splits a non-dictionary Latin/digit run with
    # finalseg's pattern; jieba-rs keeps it whole. HMM is off by default.
    text = "长度1.0cm以上"
    assert Segmenter(backend="jieba", hmm=True).raw_tokens(text) == ["长度", "1.0", "cm", "以上"]
    assert Segmenter(backend="rjieba", hmm=True).raw_tokens(text) == ["长度", "1.0cm", "以上"]
    assert (Segmenter(backend="jieba").raw_tokens(text)
            == Segmenter(backend="rjieba").raw_tokens(text))


# -- token cache -------------------------------------------------------------------------------

DOCS = {
    "d1": "各省、自治区、直辖市人民政府：\n坚决淘汰落后产能，支持技术改造。特此通知。",
    "d2": "加强国家标准和行业标准建设，完善市场准入，反垄断执法。",
    "d3": "对高新技术企业实行税收优惠和出口退税，设立专项资金。",
    "d4": "化解产能过剩，推进兼并重组，严格控制新增产能。",
    "d5": "世界贸易组织规则要求国民待遇和非歧视，加强知识产权保护。",
}


def _load(store, docs=DOCS):
    store.db["documents"].insert_all(
        [{"doc_id": k, "text": v, "source": "test"} for k, v in docs.items()], pk="doc_id")


def test_segment_corpus_caches_and_invalidates(store, tmp_path):
    _load(store)
    seg, norm = Segmenter(), Normalizer()
    first = segment_corpus(store, seg, norm, n_jobs=1)
    assert (first["n_documents"], first["n_segmented"], first["n_missing"]) == (5, 5, 5)
    assert store.db["tokens"].get(("d1", first["config_hash"]))["tokens"] == "坚决 淘汰落后产能 支持 技术改造"
    assert first["removed"] == {"addressee": 1, "closing": 1}

    # second call: nothing to do
    second = segment_corpus(store, seg, norm, n_jobs=1)
    assert (second["n_segmented"], second["n_cached"]) == (0, 5)

    # one text changes: exactly that document
    store.db["documents"].update("d2", {"text": "加强国家标准建设。"})
    third = segment_corpus(store, seg, norm, n_jobs=1)
    assert (third["n_segmented"], third["n_changed"], third["n_cached"]) == (1, 1, 4)
    assert store.db["tokens"].get(("d2", first["config_hash"]))["tokens"] == "加强 国家标准 建设"

    # a dictionary change: a new config hash, every document again
    user = tmp_path / "u.txt"
    user.write_text("新增产能 1000 nz\n", encoding="utf-8")
    changed = Segmenter(user_dict=[str(seg.user_dict[0]), str(user)])
    fourth = segment_corpus(store, changed, norm, n_jobs=1)
    assert fourth["config_hash"] != first["config_hash"]
    assert (fourth["n_segmented"], fourth["n_missing"]) == (5, 5)
    assert store.db["tokens"].get(("d4", fourth["config_hash"]))["tokens"] == \
        "化解产能过剩 推进 兼并重组 严格控制 新增产能"
    # the old configuration is still cached
    assert segment_corpus(store, seg, norm, n_jobs=1)["n_segmented"] == 0
    assert store.count("tokens") == 10
    assert store.count("segmenter_configs") == 2
    runs = list(store.db.query("select stage, status from runs where stage = 'segment'"))
    assert len(runs) == 5 and {r["status"] for r in runs} == {"ok"}


def test_segment_corpus_with_worker_pool_matches_single_process(store):
    _load(store)
    states = []
    summary = segment_corpus(store, Segmenter(), Normalizer(), n_jobs=2, batch_size=2,
                             progress=states.append)
    assert summary["n_jobs"] == 2 and summary["n_segmented"] == 5
    assert [s["done"] for s in states] == [2, 4, 5]
    pooled = {r["doc_id"]: r["tokens"] for r in store.db["tokens"].rows}
    seg, norm = Segmenter(), Normalizer()
    single = {k: " ".join(seg.tokens(norm.normalize(v))) for k, v in DOCS.items()}
    assert pooled == single
    # each worker reported its own peak memory; the run's summary keeps them
    memory = summary["peak_memory"]
    workers = memory["processes"][1:]
    assert memory["measure"] == "VmHWM" and memory["processes"][0]["pid"] == os.getpid()
    assert 1 <= len(workers) <= 2 and all(w["role"] == "segment worker" for w in workers)
    assert all(w["pid"] != os.getpid() and w["peak_mb"] > 0 for w in workers)
    assert memory["sum_of_peaks_mb"] == pytest.approx(
        memory["main_peak_mb"] + sum(w["peak_mb"] for w in workers), abs=0.2)
    figure = float(summary["line"].rsplit("all processes <= ", 1)[1].split()[0].replace(",", ""))
    assert figure == pytest.approx(memory["sum_of_peaks_mb"], abs=1.0)
    stored = json.loads(store.db.execute("select summary from runs where run_id = ?",
                                         [summary["run_id"]]).fetchone()[0])
    assert stored["peak_memory"]["processes"][1:] == workers


def test_segment_corpus_where_filter(store):
    _load(store)
    store.db["documents"].update("d1", {"level": "central"})
    summary = segment_corpus(store, n_jobs=1, where="level = ?", params=["central"])
    assert (summary["n_documents"], summary["n_segmented"]) == (1, 1)


def test_load_pipeline_round_trip_and_changed_files(store, tmp_path):
    _load(store)
    user = tmp_path / "u.txt"
    user.write_text("新增产能 1000\n", encoding="utf-8")
    seg, norm = Segmenter(user_dict=user), Normalizer()
    summary = segment_corpus(store, seg, norm, n_jobs=1)
    rebuilt_norm, rebuilt_seg = load_pipeline(store, summary["config_hash"])
    assert token_config_hash(rebuilt_norm, rebuilt_seg) == summary["config_hash"]
    user.write_text("新增产能 3000\n", encoding="utf-8")
    with pytest.raises(UserError, match="have changed"):
        load_pipeline(store, summary["config_hash"])
    with pytest.raises(UserError, match="no segmenter configuration 'nope'"):
        load_pipeline(store, "nope")
