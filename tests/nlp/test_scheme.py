"""Coding scheme: the shipped Tan scheme, loader errors, seed check and dictionary measure."""

from __future__ import annotations

import pytest

from zhengce.common.errors import UserError
from zhengce.nlp.text.bow import TokenCorpus, build_dictionary
from zhengce.nlp.text.normalize import Normalizer
from zhengce.nlp.scheme import (DEFAULT_SCHEME, dictionary_scores, load_dictionary_scores, load_scheme,
                        scheme_check, score_tokens)
from zhengce.nlp.text.segment import DEFAULT_POLICY_STOPWORDS, Segmenter, read_word_list, segment_corpus


# -- the shipped scheme ------------------------------------------------------------------------

def test_tan_scheme_contents():
    scheme = load_scheme()
    assert scheme.name == "tan2021"
    assert scheme.category_names == ["directive", "developmental", "regulatory"]
    # coding-scheme-sources.md §3.4: 43 + 40 + 35 terms
    assert [len(c.seeds) for c in scheme.categories.values()] == [43, 40, 35]
    ambiguous = {s.term: (s.category, s.weight) for s in scheme.seeds() if s.ambiguous}
    assert ambiguous == {"淘汰目录": ("directive", 0.5), "外商投资": ("developmental", 0.5),
                         "许可": ("regulatory", 0.5), "市场准入": ("regulatory", 0.5)}
    assert len(scheme.domain_stopwords) == 17
    assert "Cornell" in scheme.sources[0] and "Comparative Political Studies" in scheme.sources[1]
    for category in scheme.categories.values():
        assert "Tan 2021" in category.definition


def test_domain_stopwords_are_in_the_policy_stopword_file():
    assert set(load_scheme().domain_stopwords) <= set(read_word_list(DEFAULT_POLICY_STOPWORDS))


def test_every_seed_is_one_token_for_the_default_segmenter():
    seg = Segmenter()
    split = {s.term: seg.split(s.term) for s in load_scheme().seeds() if seg.split(s.term) != [s.term]}
    assert split == {}


# -- loader errors -----------------------------------------------------------------------------

GOOD = """\
scheme: toy
categories:
  directive:
    definition: orders
    seeds: [淘汰落后产能, 淘汰, 关停, 新增产能]
  developmental:
    definition: incentives
    seeds:
      - 税收优惠
      - {term: 减免, ambiguous: true}
domain_stopwords: [特此通知]
"""


def _write(tmp_path, text, name="scheme.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loader_reads_a_researcher_scheme(tmp_path):
    scheme = load_scheme(_write(tmp_path, GOOD))
    assert scheme.category_names == ["directive", "developmental"]
    reduce = scheme.term_index()["减免"]
    assert (reduce.category, reduce.weight, reduce.ambiguous) == ("developmental", 0.5, True)


@pytest.mark.parametrize("text, message", [
    (GOOD + "colour: red\n", r"scheme\.yaml: unknown top-level key\(s\) \['colour'\]"),
    (GOOD.replace("    definition: orders\n", "    definition: orders\n    weight: 2\n"),
     r"scheme\.yaml: categories\.directive: unknown key\(s\) \['weight'\]"),
    (GOOD.replace("[淘汰落后产能, 淘汰, 关停, 新增产能]", "[淘汰落后产能, 税收优惠]"),
     r"scheme\.yaml: categories\.developmental\.seeds\[0\]: seed '税收优惠' is already listed at "
     r"categories\.directive\.seeds\[1\]"),
    (GOOD.replace("[淘汰落后产能, 淘汰, 关停, 新增产能]", "[]"),
     r"scheme\.yaml: categories\.directive\.seeds is empty"),
    (GOOD.replace("    definition: orders\n", ""),
     r"scheme\.yaml: categories\.directive: missing key\(s\) \['definition'\]"),
    (GOOD.replace("{term: 减免, ambiguous: true}", "{term: 减免, weight: 1.5}"),
     r"scheme\.yaml: categories\.developmental\.seeds\[1\]\.weight must be a number in \(0, 1\]"),
    (GOOD.replace("{term: 减免, ambiguous: true}", "{term: 减免, ambigous: true}"),
     r"categories\.developmental\.seeds\[1\]: unknown key\(s\) \['ambigous'\]"),
    (GOOD.replace("domain_stopwords: [特此通知]", "domain_stopwords: [关停]"),
     r"scheme\.yaml: domain_stopwords \['关停'\] are also seeds"),
    (GOOD.replace("  developmental:\n", "  directive:\n"),
     r"scheme\.yaml: line 6, column 3: duplicate key 'directive'"),
    (GOOD.replace("[淘汰落后产能, 淘汰, 关停, 新增产能]", "[淘汰 落后]"),
     r"categories\.directive\.seeds\[0\]: term '淘汰 落后' contains a space"),
    ("- just\n- a list\n", r"scheme\.yaml: the top level must be a mapping"),
    ("scheme: x\ncategories: {a: [\n", r"scheme\.yaml: line \d+, column \d+: .*fix the YAML"),
])
def test_loader_errors_name_file_and_key(tmp_path, text, message):
    with pytest.raises(UserError, match=message):
        load_scheme(_write(tmp_path, text))


def test_loader_missing_file(tmp_path):
    with pytest.raises(UserError, match="cannot read scheme file .*nope.yaml"):
        load_scheme(tmp_path / "nope.yaml")


# -- seed check and dictionary measure on a toy corpus -------------------------------------------

TEXTS = {
    "t1": "坚决淘汰落后产能，严格控制新增产能。",  # tokens: 坚决 淘汰落后产能 严格控制 新增 产能
    "t2": "对高新技术企业给予税收优惠。",  # tokens: 高新技术企业 给予 税收优惠
    "t3": "淘汰落后产能，给予税收优惠。",  # tokens: 淘汰落后产能 给予 税收优惠
}


@pytest.fixture
def toy(store, tmp_path):
    store.db["documents"].insert_all(
        [{"doc_id": k, "text": v, "source": "toy"} for k, v in TEXTS.items()], pk="doc_id")
    summary = segment_corpus(store, Segmenter(), Normalizer(), n_jobs=1)
    return store, TokenCorpus(store, summary["config_hash"]), load_scheme(_write(tmp_path, GOOD))


def test_scheme_check_document_frequencies(toy):
    store, corpus, scheme = toy
    dictionary, _ = build_dictionary(corpus, no_below=1, no_above=1.0, keep_n=None)
    df = scheme_check(store, scheme, corpus.config_hash, dictionary=dictionary, min_doc_freq=2)
    rows = {r["term"]: r for r in df.to_dict(orient="records")}
    assert list(rows) == ["淘汰落后产能", "淘汰", "关停", "新增产能", "税收优惠", "减免"]
    got = {t: (r["doc_freq"], r["term_freq"], r["text_doc_freq"], r["n_docs_lost"], r["issues"])
           for t, r in rows.items()}
    assert got == {
        "淘汰落后产能": (2, 2, 2, 0, ""),
        "淘汰": (0, 0, 2, 0, "rare;not_in_dictionary"),  # only inside 淘汰落后产能
        "关停": (0, 0, 0, 0, "rare;not_in_dictionary"),
        "新增产能": (0, 0, 1, 1, "rare;split;not_in_dictionary;lost_in_context"),
        "税收优惠": (2, 2, 2, 0, ""),
        "减免": (0, 0, 0, 0, "rare;not_in_dictionary"),
    }
    assert rows["新增产能"]["segmenter_pieces"] == "新增 产能"
    assert rows["新增产能"]["in_segmenter_vocab"] is False
    assert rows["淘汰"]["in_segmenter_vocab"] is True
    assert rows["淘汰落后产能"]["doc_share"] == pytest.approx(2 / 3)
    assert rows["减免"]["weight"] == 0.5
    # without a dictionary the column is empty and not flagged
    plain = scheme_check(store, scheme, corpus, min_doc_freq=1)
    assert plain["in_dictionary"].isna().all()
    assert plain.set_index("term").loc["关停", "issues"] == "rare"


def test_score_tokens_literal():
    scores = score_tokens(["淘汰落后产能", "支持", "标准", "企业", "许可"], load_scheme())
    assert scores["directive"] == {"n_terms": 1, "weighted_terms": 1.0, "n_tokens": 5,
                                   "share": 0.2, "share_of_scheme": 0.25}
    assert scores["developmental"]["n_terms"] == 1
    assert scores["regulatory"] == {"n_terms": 2, "weighted_terms": 1.5, "n_tokens": 5,
                                    "share": 0.4, "share_of_scheme": 0.5}
    assert score_tokens([], load_scheme())["directive"]["share"] == 0.0


def test_dictionary_scores_stored(toy):
    store, corpus, scheme = toy
    result = dictionary_scores(corpus, scheme)
    assert result.n_documents == 3
    wide = load_dictionary_scores(store, result.run_id, wide=True).set_index("doc_id")
    assert wide.loc["t1", "n_tokens"] == 5
    assert wide.loc["t1", "n_terms_directive"] == 1 and wide.loc["t1", "share_directive"] == 0.2
    assert wide.loc["t2", "n_terms_developmental"] == 1
    assert wide.loc["t2", "share_developmental"] == pytest.approx(1 / 3)
    assert wide.loc["t3", ["n_terms_directive", "n_terms_developmental"]].tolist() == [1, 1]
    summary = result.summary.set_index("category")
    assert summary.loc["directive", "mean_share"] == pytest.approx((0.2 + 0 + 1 / 3) / 3)
    assert summary.loc["developmental", "mean_share"] == pytest.approx((0 + 1 / 3 + 1 / 3) / 3)
    assert summary["docs_with_terms"].tolist() == [2, 2]
    long = load_dictionary_scores(store, result.run_id)
    assert len(long) == 6
    assert long.set_index(["doc_id", "category"]).loc[("t3", "developmental"), "share_of_scheme"] == 0.5
    run = store.db["runs"].get(result.run_id)
    assert run["stage"] == "dictionary_scores" and run["status"] == "ok"
    with pytest.raises(UserError, match="no dictionary scores for run 'nope'"):
        load_dictionary_scores(store, "nope")


def test_default_scheme_path_exists():
    assert DEFAULT_SCHEME.name == "tan.yaml" and DEFAULT_SCHEME.exists()
