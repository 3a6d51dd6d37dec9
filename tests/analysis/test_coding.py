"""Hand-coding validation: stratified sheets, agreement statistics, scoring against the
automatic labels, and clear errors for bad sheets. Expected values are computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from zhengce.analysis.coding import (_allocate, code_sample, code_score, cohen_kappa, krippendorff_alpha)
from zhengce.common.errors import UserError


def test_cohen_kappa_of_a_two_by_two_table():
    # both d: 4, both r: 3, A d / B r: 2, A r / B d: 1 → p_o = 0.7, p_e = 0.6·0.5 + 0.4·0.5 = 0.5
    a = ["d"] * 4 + ["r"] * 3 + ["d"] * 2 + ["r"]
    b = ["d"] * 4 + ["r"] * 3 + ["r"] * 2 + ["d"]
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_krippendorff_alpha_nominal_by_hand():
    a = ["d"] * 4 + ["r"] * 3 + ["d"] * 2 + ["r"]
    b = ["d"] * 4 + ["r"] * 3 + ["r"] * 2 + ["d"]
    codes = pd.DataFrame({"coder": ["A"] * 10 + ["B"] * 10, "doc_id": list(range(10)) * 2,
                          "category": a + b})
    # coincidences: n_d = 11, n_r = 9, n = 20; D_o = 6/20; D_e = 2·11·9 / (20·19); α = 14/33
    assert krippendorff_alpha(codes, ["d", "r"]) == pytest.approx(14 / 33)


def test_allocation_is_equal_and_redistributes_shortfalls():
    capacity = {"central × post": 5, "central × pre": 5, "local × post": 5,
                "provincial × post": 5, "provincial × pre": 1}
    assert _allocate(10, capacity) == {"central × post": 3, "central × pre": 2, "local × post": 2,
                                       "provincial × post": 2, "provincial × pre": 1}
    assert sum(_allocate(100, capacity).values()) == 21   # never more than exist


@pytest.fixture
def coding_store(store, insert_documents, add_topic_run, mixture):
    docs, shares = [], {}
    for level in ("central", "provincial", "local"):
        for year in (1998, 2000, 2004, 2006):
            for i in range(3):
                d = f"{level[0]}{year}{i}"
                docs.append({"doc_id": d, "level": level, "year": year, "issuer_raw": f"{level}政府",
                             "title": f"关于{d}的通知",
                             "text": "为规范市场秩序，严格执行国家标准，对达标企业给予补贴。" * 20})
                shares[d] = mixture(0.5)
    insert_documents(store, docs)
    run_id = add_topic_run(store, shares)
    return store, run_id


def test_code_sample_writes_a_blind_stratified_sheet(coding_store, tmp_path):
    store, run_id = coding_store
    result = code_sample(store, 12, tmp_path / "sheets" / "sample.xlsx", random_state=4)
    assert result["run_id"] == run_id and result["n"] == 12
    assert result["csv"].name == "sample.csv" and result["xlsx"].exists()
    sheet = pd.read_csv(result["csv"], encoding="utf-8-sig", keep_default_na=False)
    assert list(sheet.columns) == ["sample_id", "doc_id", "stratum", "level", "period", "year", "title",
                                   "issuer", "excerpt", "seed_terms_in_context", "coder", "category",
                                   "notes"]
    # six strata (3 levels × pre/post) of 6 documents each: 2 per stratum
    assert sheet["stratum"].value_counts().to_dict() == {s: 2 for s in (
        "central × post", "central × pre", "local × post", "local × pre", "provincial × post",
        "provincial × pre")}
    assert sheet["doc_id"].is_unique and sheet["sample_id"].tolist() == list(range(1, 13))
    assert (sheet["category"] == "").all() and (sheet["coder"] == "").all()
    excerpt = sheet["excerpt"].iloc[0]
    assert len(excerpt) == 301 and excerpt.endswith("…")
    assert "【国家标准】" in sheet["seed_terms_in_context"].iloc[0]
    assert "regulatory" not in " ".join(sheet["seed_terms_in_context"])   # blind: no category names
    from openpyxl import load_workbook

    wb = load_workbook(result["xlsx"])
    ws = wb["coding"]
    assert ws.max_row == 13 and ws.cell(row=1, column=12).value == "category"
    rules = ws.data_validations.dataValidation
    assert len(rules) == 1 and "directive,developmental,regulatory,other" in rules[0].formula1
    assert "codebook" in wb.sheetnames
    again = code_sample(store, 12, tmp_path / "again.csv", random_state=4)
    assert pd.read_csv(again["csv"], encoding="utf-8-sig")["doc_id"].tolist() == sheet["doc_id"].tolist()
    with pytest.raises(UserError, match="cannot stratify"):
        code_sample(store, 5, tmp_path, strata=["colour"])


@pytest.fixture
def scored_store(store, insert_documents, add_topic_run):
    texts = {"d1": "执行规则。", "d2": "执行规则。", "d3": "给予补贴。",
             "d4": "给予补贴，补贴企业，并符合标准。", "d5": "执行规则。", "d6": "执行规则。"}
    insert_documents(store, [{"doc_id": d, "level": "central", "year": 2003, "text": t, "title": "文件"}
                             for d, t in texts.items()])
    auto = {"d1": "regulatory", "d2": "regulatory", "d3": "developmental", "d4": "developmental",
            "d5": "directive", "d6": "directive"}
    shares = {d: {c: (0.7 if c == a else 0.1) for c in ("directive", "developmental", "regulatory", "other")}
              for d, a in auto.items()}
    run_id = add_topic_run(store, shares)
    return store, run_id


def _write_sheets(tmp_path):
    alice = pd.DataFrame({"doc_id": ["d1", "d2", "d3", "d4", "d5", "d6"], "coder": "",
                          "category": ["regulatory", "regulatory", "developmental", "regulatory",
                                       "directive", "developmental"], "notes": ""})
    alice_path = tmp_path / "alice.csv"
    alice.to_csv(alice_path, index=False, encoding="utf-8-sig")
    bob = pd.DataFrame({"doc_id": ["d1", "d2", "d3", "d4", "d5", "d6", "d1x"][:6], "coder": "bob",
                        "category": ["监管型", "developmental", "Developmental", "regulatory",
                                     "directive", "directive"]})
    bob_path = tmp_path / "bob.xlsx"
    bob.to_excel(bob_path, index=False)
    return alice_path, bob_path


def test_code_score_agreement_accuracy_and_terms(scored_store, tmp_path):
    store, run_id = scored_store
    alice, bob = _write_sheets(tmp_path)
    score = code_score([alice, bob], store)
    # alice: r r v r d v; bob: r v v r d d → p_o = 4/6, p_e = (3·2 + 2·2 + 1·2)/36 = 1/3 → κ = 0.5
    pair = score.pairs.iloc[0]
    assert (pair["coder_a"], pair["coder_b"], pair["n_units"]) == ("alice", "bob", 6)
    assert pair["agreement"] == pytest.approx(4 / 6) and pair["kappa"] == pytest.approx(0.5)
    # coincidences n_r = 5, n_v = 4, n_d = 3 (n = 12); D_o = 4/12; D_e = (144 - 50)/132 → α = 25/47
    assert score.alpha == pytest.approx(25 / 47)
    # consensus: d2 and d6 are ties (left out); d1 r, d3 v, d4 r, d5 d against auto r v v d
    assert score.metrics["n_ties"] == 2 and score.metrics["n_docs"] == 4
    assert score.consensus["doc_id"].tolist() == ["d1", "d3", "d4", "d5"]
    assert score.metrics["accuracy"] == pytest.approx(0.75)
    # F1: directive 1, developmental 2/3 (P ½, R 1), regulatory 2/3 (P 1, R ½) → macro 7/9
    assert score.metrics["macro_f1"] == pytest.approx(7 / 9)
    conf = score.confusion
    assert conf.loc["regulatory", "developmental"] == 1 and conf.loc["regulatory", "regulatory"] == 1
    assert int(conf.to_numpy().sum()) == 4 and conf.loc["directive", "directive"] == 1
    assert score.per_coder.set_index("coder")["accuracy"].to_dict() == pytest.approx(
        {"alice": 4 / 6, "bob": 4 / 6})
    terms = score.disagreement_terms
    # d4 (hand regulatory, automatic developmental) contains 补贴 (developmental) and 标准
    assert terms["term"].tolist() == ["补贴", "标准"]
    first = terms.iloc[0]
    assert (first["category"], first["n_disagree"], first["n_agree"], first["n_toward_auto"]) == \
        ("developmental", 1, 1, 1)
    assert first["share_disagree"] == pytest.approx(0.5)
    assert terms.iloc[1]["n_toward_hand"] == 1 and terms.iloc[1]["n_toward_auto"] == 0
    written = score.write(tmp_path / "scores")
    assert written["confusion"]["csv"].exists() and written["summary"].exists()
    assert score.metrics["run_id"] == run_id


def test_bad_sheets_name_the_file_and_row(scored_store, tmp_path):
    store, _ = scored_store
    missing = tmp_path / "nocat.csv"
    pd.DataFrame({"doc_id": ["d1"], "label": ["regulatory"]}).to_csv(missing, index=False)
    with pytest.raises(UserError, match=r"nocat\.csv lacks column\(s\) \['category'\]"):
        code_score([missing], store)
    unknown = tmp_path / "unknown.csv"
    pd.DataFrame({"doc_id": ["d1", "d2"], "category": ["regulatory", "liberal"]}).to_csv(unknown, index=False)
    with pytest.raises(UserError, match=r"unknown\.csv row 3: category 'liberal' is not one of"):
        code_score([unknown], store)
    stranger = tmp_path / "stranger.csv"
    pd.DataFrame({"doc_id": ["zz"], "category": ["regulatory"]}).to_csv(stranger, index=False)
    with pytest.raises(UserError, match=r"stranger\.csv row 2: doc_id 'zz' is not in the store"):
        code_score([stranger], store)
    twice = tmp_path / "twice.csv"
    pd.DataFrame({"doc_id": ["d1", "d1"], "category": ["regulatory", "directive"]}).to_csv(twice, index=False)
    with pytest.raises(UserError, match="rows 2 and 3"):
        code_score([twice], store)
    empty = tmp_path / "empty.csv"
    pd.DataFrame({"doc_id": ["d1"], "category": [""]}).to_csv(empty, index=False)
    with pytest.raises(UserError, match="no codes"):
        code_score([empty], store)
    with pytest.raises(UserError, match="does not exist"):
        code_score([tmp_path / "nothing.csv"], store)
