"""Streamed token corpus, dictionary filtering, collocations and bag of words on a toy corpus."""

from __future__ import annotations

import pytest

from zhengce.common.errors import UserError
from zhengce.nlp.text.bow import (BowCorpus, PhrasedCorpus, TokenCorpus, build_dictionary, corpus_hash,
                     dictionary_hash, learn_phrases)

TOY = {  # doc_id: (level, tokens)
    "d1": ("central", "企业 补贴 企业 标准"),
    "d2": ("central", "企业 标准 监管"),
    "d3": ("provincial", "企业 补贴 税收"),
    "d4": ("provincial", "企业 标准"),
    "d5": ("local", "产能 淘汰 企业"),
}
# document frequencies: 企业 5, 标准 3, 补贴 2, 监管 1, 税收 1, 产能 1, 淘汰 1 -> 7 types


def _toy_store(store, docs=TOY, config_hash="toy"):
    """Documents plus a hand-written token cache (bypasses segmentation on purpose)."""
    store.db["segmenter_configs"].insert({"config_hash": config_hash, "config": "{}",
                                          "created_at": "2026-01-01T00:00:00Z"})
    store.db["documents"].insert_all(
        [{"doc_id": d, "text": f"text of {d}", "source": "toy", "level": level}
         for d, (level, _) in docs.items()], pk="doc_id")
    store.db["tokens"].insert_all(
        [{"doc_id": d, "config_hash": config_hash, "tokens": toks, "n_tokens": len(toks.split()),
          "text_hash": f"h{d}"} for d, (_, toks) in docs.items()])
    return TokenCorpus(store, config_hash)


def test_token_corpus_streams_in_doc_id_order_and_restarts(store):
    corpus = _toy_store(store)
    assert len(corpus) == 5
    assert corpus.doc_ids() == ["d1", "d2", "d3", "d4", "d5"]
    first = list(corpus)
    assert first[0] == ["企业", "补贴", "企业", "标准"]
    assert list(corpus) == first  # a second pass gives the same stream
    iterator = iter(corpus)
    next(iterator)
    assert list(corpus)[4] == ["产能", "淘汰", "企业"]  # a new pass while another is open


def test_token_corpus_where_and_min_tokens(store):
    _toy_store(store)
    central = TokenCorpus(store, "toy", where="d.level = ?", params=["central"])
    assert (len(central), central.doc_ids()) == (2, ["d1", "d2"])
    long_docs = TokenCorpus(store, "toy", min_tokens=3)
    assert (len(long_docs), long_docs.n_excluded, long_docs.doc_ids()) == (4, 1, ["d1", "d2", "d3", "d5"])
    assert len(list(long_docs)) == 4


def test_token_corpus_refuses_unsegmented_documents(store):
    _toy_store(store)
    store.db["documents"].insert({"doc_id": "d6", "text": "new", "source": "toy"})
    with pytest.raises(UserError, match="1 of 6 selected documents have no tokens under config toy"):
        TokenCorpus(store, "toy")
    assert len(TokenCorpus(store, "toy", require_complete=False)) == 5
    with pytest.raises(UserError, match="no token cache for config 'other'"):
        TokenCorpus(store, "other")


def test_build_dictionary_filter_sizes(store):
    corpus = _toy_store(store)
    dictionary, report = build_dictionary(corpus, no_below=2, no_above=0.9, keep_n=None)
    # 企业 is in 5/5 documents (> 0.9); 监管, 税收, 产能, 淘汰 in one each (< 2)
    assert (report.vocab_before, report.vocab_after) == (7, 2)
    assert sorted(dictionary.token2id) == ["标准", "补贴"]
    kept, report = build_dictionary(corpus, no_below=2, no_above=0.9, keep_n=None,
                                    keep_tokens=["企业", "淘汰", "首台套"])
    assert sorted(kept.token2id) == ["企业", "标准", "淘汰", "补贴"]
    assert report.missing_keep_tokens == ["首台套"]
    top, report = build_dictionary(corpus, no_below=1, no_above=1.0, keep_n=1)
    assert list(top.token2id) == ["企业"] and report.vocab_after == 1


def test_build_dictionary_requires_explicit_arguments(store):
    corpus = _toy_store(store)
    with pytest.raises(TypeError):
        build_dictionary(corpus, no_below=2, no_above=0.5)  # keep_n missing
    with pytest.raises(UserError, match="no_above must be a fraction"):
        build_dictionary(corpus, no_below=2, no_above=5, keep_n=None)
    with pytest.raises(UserError, match="removed the whole vocabulary of 7 tokens"):
        build_dictionary(corpus, no_below=6, no_above=1.0, keep_n=None)


def test_bow_corpus(store):
    corpus = _toy_store(store)
    dictionary, _ = build_dictionary(corpus, no_below=1, no_above=1.0, keep_n=None)
    bow = BowCorpus(corpus, dictionary)
    assert len(bow) == 5
    docs = list(bow)
    first = {dictionary[i]: n for i, n in docs[0]}
    assert first == {"企业": 2, "补贴": 1, "标准": 1}
    assert list(bow) == docs
    assert bow.doc_ids() == corpus.doc_ids()


def test_hashes(store):
    corpus = _toy_store(store)
    d1, _ = build_dictionary(corpus, no_below=1, no_above=1.0, keep_n=None)
    d2, _ = build_dictionary(corpus, no_below=1, no_above=1.0, keep_n=None)
    d3, report = build_dictionary(corpus, no_below=2, no_above=0.9, keep_n=None)
    assert dictionary_hash(d1) == dictionary_hash(d2) != dictionary_hash(d3)
    assert report.dictionary_hash == dictionary_hash(d3)
    before = corpus_hash(corpus)
    assert corpus_hash(corpus) == before
    store.db["tokens"].update(("d3", "toy"), {"text_hash": "changed"})
    assert corpus_hash(corpus) != before


def test_phrases_streamed(store):
    docs = {"p1": ("local", "产能 过剩"), "p2": ("local", "产能 过剩"),
            "p3": ("local", "产能 过剩"), "p4": ("local", "企业 标准")}
    corpus = _toy_store(store, docs, config_hash="phr")
    # gensim's default score: (count(ab) - min_count) / (count(a) * count(b)) * |vocab|, where
    # |vocab| counts unigrams and bigrams: 4 + 2 = 6. 产能_过剩: (3-1)/(3*3)*6 = 1.33; 企业_标准: 0.
    phrases = learn_phrases(corpus, min_count=1, threshold=1.0)
    phrased = list(PhrasedCorpus(corpus, phrases))
    assert phrased == [["产能_过剩"]] * 3 + [["企业", "标准"]]
    assert list(PhrasedCorpus(corpus, learn_phrases(corpus, min_count=1, threshold=1.5))) == \
        [["产能", "过剩"]] * 3 + [["企业", "标准"]]
    dictionary, _ = build_dictionary(PhrasedCorpus(corpus, phrases), no_below=1, no_above=1.0,
                                     keep_n=None)
    assert sorted(dictionary.token2id) == ["产能_过剩", "企业", "标准"]
    assert list(BowCorpus(corpus, dictionary, phrases=phrases))[0] == [(dictionary.token2id["产能_过剩"], 1)]


def _as_state(d):
    return (dict(d.token2id), dict(d.dfs), dict(d.cfs), d.num_docs, d.num_pos, d.num_nnz)


def test_count_dictionary_equals_gensim_on_real_text_and_with_pruning():
    import gzip
    import json
    import os
    from pathlib import Path

    import numpy as np
    from gensim.corpora import Dictionary

    from zhengce.nlp.text.bow import count_dictionary, doc2bow
    from zhengce.nlp.text.segment import Segmenter

    # hand-made: repeated words, new words in unsorted order, empty documents, bytes tokens
    docs = [["政策", "补贴", "政策"], [], ["标准", "补贴", "审批"], [b"\xe6\xa0\x87\xe5\x87\x86", "乙"]]
    assert _as_state(count_dictionary(docs)) == _as_state(Dictionary(docs))
    # new words take the next ids in sorted (code point) order: 政 U+653F < 补 U+8865, 审 < 标
    assert _as_state(count_dictionary(docs)) == (
        {"政策": 0, "补贴": 1, "审批": 2, "标准": 3, "乙": 4},
        {0: 1, 1: 2, 2: 1, 3: 2, 4: 1}, {0: 2, 1: 2, 2: 1, 3: 2, 4: 1}, 4, 8, 7)
    # pruning every 10,000 documents above prune_at renumbers ids: follow gensim exactly
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(3000)]
    synthetic = [[words[j] for j in rng.zipf(1.3, size=30) % 3000] for _ in range(25_000)]
    ours, theirs = count_dictionary(synthetic, prune_at=500), Dictionary(synthetic, prune_at=500)
    assert len(theirs) < 3000 and _as_state(ours) == _as_state(theirs)
    # real text: the first 300 LawRefBook laws, segmented
    path = Path(os.environ.get("ZHENGCE_SHARED", Path(__file__).resolve().parents[3] / "shared")) \
        / "corpora" / "lawrefbook.jsonl.gz"
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing under CI=true")
        pytest.skip(f"{path} is absent (../shared not on this machine)")
    seg = Segmenter()
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for _, line in zip(range(300), fh)]
    tokens = [seg.tokens(t) for t in texts]
    reference = Dictionary(tokens)
    assert _as_state(count_dictionary(tokens)) == _as_state(reference)
    # the fast doc2bow gives gensim's pairs, against a filtered dictionary too
    reference.filter_extremes(no_below=3, no_above=0.5, keep_n=5000)
    assert all(doc2bow(reference.token2id, t) == reference.doc2bow(t) for t in tokens)
    assert doc2bow(reference.token2id, []) == []
