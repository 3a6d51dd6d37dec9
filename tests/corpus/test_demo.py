"""The bundled demo corpus generator (corpus/demo/) and its planted truth."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import inspect
import json
import math
import re
import statistics
from collections import Counter
from datetime import date

import pytest

from zhengce.corpus.demo import (
    LABEL_WORDS, MEAN_AFTER, MEAN_BEFORE, STRATEGIES, DemoCorpus, DemoDocument, DemoTruth,
    cn_date, cn_number, load_demo_data, planted_mean, shift_weight, write_demo_corpus,
)
from zhengce.common.errors import UserError
from zhengce.corpus.demo.bank import _template

PROVINCES = ("浙江省", "广东省", "江苏省", "上海市", "北京市", "四川省", "安徽省", "山东省")
TRUTH_FIELDS = ("theta", "clause_shares", "level", "sectors", "is_repost_of", "is_forward",
                "forward_of", "n_clauses", "year")

NUMBER_RE = re.compile(r"(?P<prefix>[\u4e00-\u9fff]+)〔(?P<year>(19|20)\d\d)〕[1-9]\d*号")
ORDER_RE = re.compile(r"[\u4e00-\u9fff]+令((19|20)\d\d年)?第[1-9]\d*号")
TITLE_RE = re.compile(r"[\u4e00-\u9fff、（）《》“”—0-9]+")
NOTICE_TITLE_RE = re.compile(
    r"(?P<issuer>.+?)(关于|转发).+(通知|意见|若干意见|实施意见|指导意见|若干政策意见|决定)")
ORDER_TITLE_RE = re.compile(r".+(办法|规定)")


@pytest.fixture(scope="module")
def corpus600() -> list[tuple[DemoDocument, DemoTruth]]:
    return list(DemoCorpus(n_documents=600, random_state=0).iter_documents())


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _parse_date(text: str) -> date:
    """The three metadata date formats, parsed independently of corpus.demo."""
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        return date(*map(int, m.groups()))
    if m := re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text):
        return date(*map(int, m.groups()))
    m = re.fullmatch(r"([〇一二三四五六七八九]{4})年([一二三四五六七八九十]+)月([一二三四五六七八九十]+)日",
                     text)
    assert m, f"unknown date format {text!r}"
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")}

    def small(s: str) -> int:   # 一..三十一
        if s == "十":
            return 10
        if s.startswith("十"):
            return 10 + digits[s[1]]
        if "十" in s:
            tens, _, ones = s.partition("十")
            return 10 * digits[tens] + (digits[ones] if ones else 0)
        return digits[s]

    year = int("".join(str(digits[c]) for c in m.group(1)))
    return date(year, small(m.group(2)), small(m.group(3)))


# ---------------------------------------------------------------------------- determinism
def test_same_seed_gives_byte_identical_documents(tmp_path):
    a = write_demo_corpus(tmp_path / "a", n_documents=40, random_state=7)
    b = write_demo_corpus(tmp_path / "b", n_documents=40, random_state=7)
    c = write_demo_corpus(tmp_path / "c", n_documents=40, random_state=8)
    assert a["documents"] == b["documents"] == c["documents"] == 40
    assert _sha256(tmp_path / "a" / "documents.jsonl") == _sha256(tmp_path / "b" / "documents.jsonl")
    assert _sha256(tmp_path / "a" / "truth.csv") == _sha256(tmp_path / "b" / "truth.csv")
    assert _sha256(tmp_path / "a" / "documents.jsonl") != _sha256(tmp_path / "c" / "documents.jsonl")


def test_iter_documents_is_a_restartable_generator():
    corpus = DemoCorpus(n_documents=25, random_state=3)
    stream = corpus.iter_documents()
    assert inspect.isgenerator(stream)
    first = list(stream)
    again = list(corpus)
    assert len(first) == len(corpus) == 25
    assert first == again


# ---------------------------------------------------------------------------- planted means
def test_planted_mean_values_by_hand():
    # s(1990) = 1/(1+exp(11.5/0.7)) = 7.3e-8: the pre-WTO mean itself.
    assert planted_mean("central", 1990)["regulatory"] == pytest.approx(0.23, abs=1e-6)
    # At the centre 2001.5 the mean is halfway: local directive (0.55 + 0.70) / 2.
    assert planted_mean("local", 2001.5)["directive"] == pytest.approx(0.625, abs=1e-12)
    # s(2002) = 1/(1+exp(-0.5/0.7)) = 1/(1 + 0.489541) = 0.671347;
    # provincial developmental 0.33 + 0.18 * 0.671347 = 0.450842.
    assert shift_weight(2002) == pytest.approx(0.671347, abs=1e-6)
    assert planted_mean("provincial", 2002)["developmental"] == pytest.approx(0.450842, abs=1e-6)
    for level in ("central", "provincial", "local"):
        for year in (1990, 2001, 2015):
            assert sum(planted_mean(level, year).values()) == pytest.approx(1.0)
    with pytest.raises(UserError, match="unknown level 'county'"):
        planted_mean("county", 2000)


def test_planted_means_shift_in_the_documented_direction():
    diff = {lv: {s: planted_mean(lv, 2015)[s] - planted_mean(lv, 1995)[s] for s in STRATEGIES}
            for lv in ("central", "provincial", "local")}
    assert diff["central"]["regulatory"] == pytest.approx(0.20, abs=1e-4)
    assert diff["provincial"]["developmental"] == pytest.approx(0.18, abs=1e-4)
    assert diff["local"]["directive"] == pytest.approx(0.15, abs=1e-4)
    for level, before in MEAN_BEFORE.items():   # pre-2001 baseline: directive is the largest
        assert before[0] == max(before)
        assert sum(before) == pytest.approx(1.0) and sum(MEAN_AFTER[level]) == pytest.approx(1.0)


def _mean_share(items, level, strategy, years):
    values = [t.clause_shares[strategy] for _, t in items
              if t.level == level and t.year in years and not t.is_forward
              and t.is_repost_of is None]
    return statistics.mean(values), len(values)


def test_realised_clause_shares_recover_the_planted_shift(corpus600):
    pre, post = range(1990, 2001), range(2002, 2016)
    expected = {("central", "regulatory"): 0.12, ("provincial", "developmental"): 0.10,
                ("local", "directive"): 0.08}
    for (level, strategy), threshold in expected.items():
        before, n_before = _mean_share(corpus600, level, strategy, pre)
        after, n_after = _mean_share(corpus600, level, strategy, post)
        assert n_before >= 30 and n_after >= 100
        assert after - before > threshold, (level, strategy, before, after)
    # The opposite moves are planted too: central and provincial documents lose directive content.
    for level in ("central", "provincial"):
        before, _ = _mean_share(corpus600, level, "directive", pre)
        after, _ = _mean_share(corpus600, level, "directive", post)
        assert after - before < -0.08
    # Before 2001 directive clauses are the largest share at every level.
    for level in ("central", "provincial", "local"):
        shares = {s: _mean_share(corpus600, level, s, pre)[0] for s in STRATEGIES}
        assert max(shares, key=shares.get) == "directive", (level, shares)


def test_truth_is_consistent(corpus600):
    thetas, realised = [], []
    for _, t in corpus600:
        assert sum(t.theta.values()) == pytest.approx(1.0)
        assert sum(t.clause_shares.values()) == pytest.approx(1.0)
        assert t.n_clauses >= 4
        for s in STRATEGIES:   # shares are counts / n_clauses
            count = t.clause_shares[s] * t.n_clauses
            assert count == pytest.approx(round(count), abs=1e-9)
        thetas.append(t.theta["regulatory"])
        realised.append(t.clause_shares["regulatory"])
    # Realised shares follow θ_d closely (about 25 clauses per document).
    assert statistics.correlation(thetas, realised) > 0.8


# ---------------------------------------------------------------------------- corpus shape
def test_counts_by_year_and_level(corpus600):
    counts = DemoCorpus(n_documents=600).counts_by_year_level()
    assert sum(counts.values()) == 600
    assert min(v for (y, _), v in counts.items() if y >= 1995) >= 5
    assert min(counts.values()) >= 1
    per_year = Counter()
    for (y, _), v in counts.items():
        per_year[y] += v
    assert per_year[2015] > 2 * per_year[1995] > 2 * 5 * 3
    realised = Counter((t.year, t.level) for _, t in corpus600)
    assert realised == Counter({k: v for k, v in counts.items() if v})
    by_level = Counter(t.level for _, t in corpus600)
    assert 0.27 <= by_level["central"] / 600 <= 0.35
    assert 0.32 <= by_level["provincial"] / 600 <= 0.38
    assert 0.32 <= by_level["local"] / 600 <= 0.38
    assert DemoCorpus(n_documents=43_000).counts_by_year_level()[(2015, "local")] > 1000


def test_lengths_in_range(corpus600):
    lengths = [len(d.text) for d, _ in corpus600]
    assert min(lengths) >= 800 and max(lengths) <= 3000
    assert 1300 <= statistics.median(lengths) <= 1700


def test_places_and_issuers(corpus600):
    provinces = {d.province for d, t in corpus600 if t.level == "provincial"}
    assert provinces == set(PROVINCES)
    for d, t in corpus600:
        if t.level == "central":
            assert not d.issuer.startswith(PROVINCES + ("杭州", "深圳"))
        elif t.level == "provincial":
            assert d.issuer.startswith(PROVINCES), d.issuer
            assert d.site_kind == "province" or t.is_repost_of
        else:
            assert d.issuer.endswith(("人民政府", "办公厅", "办公室", "局", "委员会")), d.issuer
            assert d.site_kind in ("prefecture", "county") or t.is_repost_of
    local_units = {d.issuer.split("人民政府")[0] for d, t in corpus600
                   if t.level == "local" and "人民政府" in d.issuer}
    assert {"杭州市", "深圳市", "苏州市", "成都市", "青岛市"} <= local_units
    assert any(u.endswith("区") for u in local_units) and len(local_units) >= 20
    kinds = Counter(d.site_kind for d, _ in corpus600)
    assert set(kinds) == {"govcn", "ndrc", "miit", "sasac", "mofcom", "province", "prefecture",
                          "county"}
    assert any("、" in d.issuer for d, t in corpus600 if t.level == "central")   # joint documents
    urls = [d.url for d, _ in corpus600]
    assert len(set(urls)) == len(urls) and all(u.startswith(("http://", "https://")) for u in urls)
    assert len({d.source_id for d, _ in corpus600}) == 600


def test_sector_in_title_and_text(corpus600):
    sectors = load_demo_data().sectors
    for d, t in corpus600:
        assert 1 <= len(t.sectors) <= 2
        for key in t.sectors:
            words = sectors[key]["names"] + sectors[key]["short"]
            assert any(w in d.title for w in words), (key, d.title)
            assert any(w in d.text for w in words), key
    assert len({t.sectors[0] for _, t in corpus600}) == 11


# ---------------------------------------------------------------------------- what the pipeline sees
def test_documents_jsonl_holds_no_truth(tmp_path):
    out = write_demo_corpus(tmp_path, n_documents=60, random_state=1)
    lines = (tmp_path / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == out["documents"] == 60
    fields = [f.name for f in dataclasses.fields(DemoDocument)]
    with (tmp_path / "truth.csv").open(encoding="utf-8") as fh:
        truth_rows = list(csv.DictReader(fh))
    assert len(truth_rows) == 60
    truth_columns = set(truth_rows[0])
    assert {"theta_directive", "share_regulatory", "level", "is_forward"} <= truth_columns
    for line, row in zip(lines, truth_rows):
        record = json.loads(line)
        assert list(record) == fields
        # source_id is the join key; nothing else of the truth is in the documents.
        assert set(record) & (truth_columns | set(TRUTH_FIELDS)) == {"source_id"}
        assert record["source_id"] == row["source_id"]
        assert row["theta_directive"] not in record["text"]
    description = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert description["planted_mean"]["before"]["central"]["directive"] == 0.50
    assert description["planted_mean"]["after"]["local"]["directive"] == 0.70
    assert description["params"] == {"n_documents": 60, "random_state": 1, "start_year": 1990,
                                      "end_year": 2015}
    assert description["counts"]["documents"] == 60
    assert set(description["planted_mean_by_year"]["provincial"]) == {
        str(y) for y in range(1990, 2016)}


def test_no_strategy_label_words_in_documents(corpus600):
    assert "指令型" in LABEL_WORDS and "directive" in LABEL_WORDS
    for d, _ in corpus600:
        blob = "\n".join(str(v) for v in dataclasses.astuple(d))
        for word in LABEL_WORDS:
            assert word not in blob, (word, d.source_id)
        assert not re.search(r"[A-Za-z]{5,}", d.text.replace("ISO9000", "")), d.source_id


def test_title_and_number_formats(corpus600):
    seen_prefix = {}
    for d, t in corpus600:
        assert TITLE_RE.fullmatch(d.title), d.title
        m = NOTICE_TITLE_RE.fullmatch(d.title)
        if m:
            assert m.group("issuer") == d.issuer, (d.title, d.issuer)
        else:
            assert ORDER_TITLE_RE.fullmatch(d.title), d.title
            assert d.doc_type_hint in ("令", None)
        if d.doc_number is None:
            continue
        n = NUMBER_RE.fullmatch(d.doc_number)
        if n:
            assert int(n.group("year")) == t.year
            seen_prefix.setdefault(d.issuer, set()).add(n.group("prefix"))
        else:
            assert ORDER_RE.fullmatch(d.doc_number), d.doc_number
    # Prefixes belong to their issuers.
    expected = {"国务院": {"国发"}, "国务院办公厅": {"国办发"}, "浙江省人民政府": {"浙政发"},
                "浙江省人民政府办公厅": {"浙政办发"}, "广东省人民政府": {"粤府"},
                "江苏省人民政府": {"苏政发"}, "杭州市人民政府": {"杭政"}}
    checked = [issuer for issuer in expected if issuer in seen_prefix]
    assert len(checked) >= 5, checked
    for issuer in checked:
        assert seen_prefix[issuer] == expected[issuer], (issuer, seen_prefix[issuer])
    for issuer, prefixes in seen_prefix.items():
        if issuer == "国家发展和改革委员会":
            assert prefixes <= {"发改工业", "发改产业", "发改高技"}
        if issuer == "国务院国有资产监督管理委员会":
            assert prefixes <= {"国资发改革", "国资发规划"}
    missing = sum(d.doc_number is None for d, _ in corpus600) / len(corpus600)
    assert 0.05 < missing < 0.4


def test_dates_in_real_formats(corpus600):
    styles = Counter()
    for d, t in corpus600:
        if d.issued_date is None:
            continue
        issued = _parse_date(d.issued_date)
        styles["cn" if "〇" in d.issued_date or "年" in d.issued_date[:4] else
               ("iso" if "-" in d.issued_date else "arabic")] += 1
        assert issued.year == t.year
        if d.published_date is not None:
            published = _parse_date(d.published_date)
            assert 0 <= (published - issued).days <= 40
    assert set(styles) == {"cn", "iso", "arabic"}
    assert sum(d.issued_date is None for d, _ in corpus600) < 60


def test_era_correct_agency_names(corpus600):
    # (name, first year, last year) in which a document may carry it.
    eras = [("国家发展和改革委员会", 2003, 2015), ("国家计划委员会", 1990, 1997),
            ("国家发展计划委员会", 1998, 2002), ("国家经济贸易委员会", 1993, 2002),
            ("国务院国有资产监督管理委员会", 2003, 2015), ("信息产业部", 1998, 2007),
            ("工业和信息化部", 2008, 2015), ("对外贸易经济合作部", 1993, 2002),
            ("国家发展改革委", 2003, 2015), ("国家经贸委", 1993, 2002)]
    seen = Counter()
    for d, t in corpus600:
        blob = d.issuer + d.title + d.text
        for name, first, last in eras:
            if name in blob:
                seen[name] += 1
                assert first <= t.year <= last, (name, t.year, d.source_id)
    assert not any("国家发展和改革委员会" in d.text + d.issuer for d, t in corpus600 if t.year < 2003)
    assert not any("国家计划委员会" in d.text + d.issuer for d, t in corpus600 if t.year >= 1998)
    assert seen["国家发展和改革委员会"] > 0 and seen["国家计划委员会"] > 0
    assert seen["工业和信息化部"] > 0 and seen["国家经济贸易委员会"] > 0


def test_boilerplate_present(corpus600):
    texts = [d.text for d, _ in corpus600]
    share = lambda s: sum(s in x for x in texts) / len(texts)   # noqa: E731
    assert share("各省、自治区、直辖市人民政府，国务院各部委、各直属机构：") > 0.03
    assert share("特此通知。") > 0.1
    assert share("印发给你们") > 0.2
    assert share("抄送：") > 0.2
    assert share("起施行。") > 0.1
    assert share("第一条　") > 0.1


def test_reposts_and_forwards(corpus600):
    by_id = {d.source_id: (d, t) for d, t in corpus600}
    reposts = [(d, t) for d, t in corpus600 if t.is_repost_of]
    forwards = [(d, t) for d, t in corpus600 if t.is_forward]
    assert len(reposts) >= 5 and len(forwards) >= 3
    for d, t in reposts:
        orig, orig_truth = by_id[t.is_repost_of]
        assert orig_truth.is_repost_of is None
        assert (d.title, d.issuer, d.doc_number) == (orig.title, orig.issuer, orig.doc_number)
        assert d.url != orig.url and d.source_id != orig.source_id
        # Same text, up to a source line and different spacing between paragraphs.
        collapse = lambda x: re.sub(r"\n+", "\n", x)   # noqa: E731
        assert collapse(d.text.removeprefix(f"来源：{orig.issuer}\n")) == collapse(orig.text)
        assert 0 <= (_parse_date(d.published_date) - _parse_date(orig.published_date)).days <= 20 \
            if d.published_date and orig.published_date else True
        assert (t.level, t.year, t.theta, t.sectors) == (orig_truth.level, orig_truth.year,
                                                         orig_truth.theta, orig_truth.sectors)
    for d, t in forwards:
        orig, orig_truth = by_id[t.forward_of]
        assert t.level == "provincial" and orig_truth.level == "central"
        assert d.issuer.startswith(PROVINCES) and "转发" in d.title
        assert orig.text in d.text and t.clause_shares == orig_truth.clause_shares
        assert t.year == orig_truth.year


# ---------------------------------------------------------------------------- banks and errors
def test_clause_banks_are_substantial():
    data = load_demo_data()
    all_texts = []
    for strategy in STRATEGIES:
        clauses = data.banks[strategy].clauses
        texts = [t.text for t in clauses]
        assert len(texts) >= 60 and len(set(texts)) == len(texts)
        all_texts += texts
        for year in range(1990, 2016):
            assert sum(t.ok(year) for t in clauses if t.sectors is None) >= 35, (strategy, year)
        for text in texts:
            assert not any(w in text for w in LABEL_WORDS)
    assert len(set(all_texts)) == len(all_texts)
    assert len(data.sectors) >= 8


def test_chinese_numerals():
    assert [cn_number(n) for n in (1, 10, 11, 20, 58, 99)] == ["一", "十", "十一", "二十",
                                                               "五十八", "九十九"]
    assert cn_date(date(2006, 2, 13)) == "二〇〇六年二月十三日"
    assert cn_date(date(1990, 10, 31)) == "一九九〇年十月三十一日"


def test_bad_parameters_and_templates(tmp_path):
    with pytest.raises(UserError, match="n_documents must be a positive integer"):
        list(DemoCorpus(n_documents=0).iter_documents())
    with pytest.raises(UserError, match="start_year must be a year in 1990..2015"):
        DemoCorpus(start_year=1985).counts_by_year_level()
    with pytest.raises(UserError, match="start_year 2010 is after end_year 2000"):
        write_demo_corpus(tmp_path, n_documents=10, start_year=2010, end_year=2000)
    with pytest.raises(UserError, match=r"unknown slot\(s\) \['city'\]"):
        _template("在{city}设立基地", "test.yaml:clauses")
    with pytest.raises(UserError, match="must be a string or a mapping"):
        _template({"text": "x"}, "test.yaml:clauses")


def test_year_window(tmp_path):
    docs = list(DemoCorpus(n_documents=90, start_year=2000, end_year=2003,
                           random_state=5).iter_documents())
    assert {t.year for _, t in docs} == {2000, 2001, 2002, 2003}
    assert math.isclose(sum(1 for _ in docs), 90)
