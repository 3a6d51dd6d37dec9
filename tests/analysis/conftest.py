"""Fixtures of the analysis tests: literal stores built row by row, and one real topic run."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

CATS = ("directive", "developmental", "regulatory", "other")


def _insert_documents(store, rows):
    """Insert documents given as dicts; fills the NOT NULL columns and JSON-encodes lists."""
    out = []
    for r in rows:
        row = {"source": "test", "text": r.get("text", "本文件为测试文本。"),
               "title": r.get("title", r["doc_id"])}
        row.update(r)
        for key in ("agency_ids", "issuers", "sectors"):
            if isinstance(row.get(key), (list, tuple)):
                row[key] = json.dumps(list(row[key]), ensure_ascii=False)
        row.setdefault("n_chars", len(row["text"]))
        out.append(row)
    with store.db.conn:
        store.db["documents"].insert_all(out, pk="doc_id")


def _add_topic_run(store, shares, *, params=None, summary=None, stage="topics"):
    """A topic run whose strategy_shares are ``shares`` (doc_id -> {category: share})."""
    with store.run(stage, params or {"n_topics": 4, "random_state": 0}) as run:
        rows = [{"run_id": run.run_id, "doc_id": d, "category": c, "share": float(v)}
                for d, mix in shares.items() for c, v in mix.items()]
        with store.db.conn:
            store.db["strategy_shares"].insert_all(rows)
        run.summary.update(summary or {"model": {"params": {"alpha": "symmetric"}, "n_topics": 4}})
    return run.run_id


def _add_sectors(store, pairs):
    with store.db.conn:
        store.db["document_sectors"].insert_all(
            [{"doc_id": d, "sector_code": c, "matched_terms": "[]", "n_matches": 1} for d, c in pairs],
            pk=("doc_id", "sector_code"))


@pytest.fixture
def insert_documents():
    return _insert_documents


@pytest.fixture
def add_topic_run():
    return _add_topic_run


@pytest.fixture
def add_sectors():
    return _add_sectors


def mix(regulatory: float, developmental: float = 0.1, other: float = 0.0) -> dict:
    return {"directive": round(1 - regulatory - developmental - other, 10),
            "developmental": developmental, "regulatory": regulatory, "other": other}


@pytest.fixture
def mixture():
    return mix


# ---------------------------------------------------------------------------------------------
# A report-sized store: several levels and years, agencies, sectors and a topic run
# ---------------------------------------------------------------------------------------------

LEVEL_SHIFT = {"central": (0.20, 0.40), "provincial": (0.15, 0.15), "local": (0.12, 0.08)}


def build_report_store(store, *, n_per_cell: int = 12, years=range(1996, 2009), thin_year=1996,
                       with_run: bool = True):
    """Documents of three levels over ``years`` with a planted regulatory jump for central
    documents after 2001; ``thin_year`` has 3 documents per level (thin cells). Agencies (spc,
    sdpc, ndrc, mii, miit, sasac) and sectors (36 automotive, 3973 semiconductors) are set."""
    rng = np.random.default_rng(7)
    docs, shares, sectors = [], {}, []
    for level, (pre, post) in LEVEL_SHIFT.items():
        for year in years:
            n = 3 if year == thin_year else n_per_cell
            for i in range(n):
                doc_id = f"{level[0]}{year}{i:02d}"
                agency = None
                if level == "central":
                    agency = ["spc", "sdpc", "ndrc"][0 if year < 1998 else 1 if year < 2003 else 2] \
                        if i % 3 == 0 else (("mii" if year < 2008 else "miit") if i % 3 == 1 else
                                            ("sasac" if year >= 2003 else None))
                docs.append({"doc_id": doc_id, "level": level, "year": year, "agency_id": agency,
                             "agency_ids": [agency] if agency else None,
                             "issuer_raw": agency or f"{level} government {i % 4}",
                             "text": "为加强标准管理，给予补贴，淘汰落后产能。" * 3})
                reg = (post if year > 2001 else pre) + rng.normal(0, 0.03)
                reg = float(np.clip(reg, 0.01, 0.8))
                dev = float(np.clip(0.3 + rng.normal(0, 0.03), 0.01, 0.9 - reg))
                shares[doc_id] = mix(reg, dev, 0.05)
                sectors.append((doc_id, "36" if i % 2 == 0 else "3973"))
    _insert_documents(store, docs)
    _add_sectors(store, sectors)
    run_id = _add_topic_run(store, shares) if with_run else None
    return run_id


@pytest.fixture(name="build_report_store")
def build_report_store_fixture():
    return build_report_store


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One report of the report-sized store (module scope): (store, out_dir, report path)."""
    from zhengce.analysis.report import build_report
    from zhengce.corpus.store import Store

    tmp = tmp_path_factory.mktemp("built")
    store = Store.open(tmp / "report.db")
    build_report_store(store)
    out = tmp / "report"
    path = build_report(store, out, n_boot=50, n_draws=10, chinese=False, dpi=60)
    yield store, out, path
    store.close()


@pytest.fixture
def report_store(tmp_path):
    from zhengce.corpus.store import Store

    store = Store.open(tmp_path / "report.db")
    build_report_store(store)
    yield store
    store.close()


# ---------------------------------------------------------------------------------------------
# A real topic run (nlp): seeded LDA on block vocabularies, labels, shares and a pyLDAvis page
# ---------------------------------------------------------------------------------------------

BLOCKS = {
    "directive": ["淘汰", "关停", "审批", "指标", "下达", "配额", "计划", "限产", "核准", "调拨"],
    "developmental": ["补贴", "扶持", "奖励", "贴息", "减免", "专项资金", "培育", "园区", "研发",
                      "高新技术"],
    "regulatory": ["标准", "检验", "认证", "监督", "执法", "处罚", "罚款", "公平竞争", "备案", "计量"],
}


def build_real_topic_run(store, out_dir):
    """Fit a seeded LDA on 90 block-vocabulary documents of three levels, store its run with
    ``ldavis_path`` in the summary, and return (run_id, ldavis path)."""
    from gensim.corpora import Dictionary

    from zhengce.nlp.topics.labels import label_model, save_topic_run
    from zhengce.nlp.topics.ldavis import write_ldavis
    from zhengce.nlp.topics.models import SeededLdaModel

    rng = np.random.default_rng(0)
    names = list(BLOCKS)
    docs, texts, ids = [], [], []
    for d in range(90):
        level = ("central", "provincial", "local")[d % 3]
        year = 1996 + (d // 3) % 12
        regulatory_weight = 0.6 if (level == "central" and year > 2001) else 0.2
        weights = np.array([0.8 - regulatory_weight, 0.2, regulatory_weight])
        words = [str(rng.choice(BLOCKS[names[rng.choice(3, p=weights / weights.sum())]]))
                 for _ in range(40)]
        doc_id = f"r{d:03d}"
        ids.append(doc_id)
        texts.append(words)
        docs.append({"doc_id": doc_id, "level": level, "year": year, "text": "".join(words),
                     "issuer_raw": f"{level}-{d % 5}"})
    _insert_documents(store, docs)
    dictionary = Dictionary(texts)
    corpus = [dictionary.doc2bow(t) for t in texts]
    model = SeededLdaModel({"directive": ["淘汰"], "developmental": ["补贴"], "regulatory": ["标准"]},
                           0, passes=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(corpus, dictionary)
    labels = label_model(model, {k: v[:3] for k, v in BLOCKS.items()})
    path = write_ldavis(model, corpus, dictionary, out_dir / "ldavis.html", R=10)
    with store.run("topics", params=model.get_params(), packages=["gensim"]) as run:
        save_topic_run(store, run, model, ids, labels, model.vocabulary_)
        run.summary["ldavis_path"] = str(path)
    return run.run_id, path


@pytest.fixture
def real_topic_run():
    """Callable (store, out_dir) -> (run_id, ldavis path); skips when the nlp stack is missing."""
    pytest.importorskip("gensim")
    pytest.importorskip("pyLDAvis")
    return build_real_topic_run


def need_cjk_font():
    """Skip (fail under CI=true) when no CJK font is installed."""
    import os

    from zhengce.common.outputs import find_cjk_font

    if find_cjk_font() is None:
        msg = "no CJK font installed (apt-get install fonts-noto-cjk)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + " — and CI=true, where it must exist")
        pytest.skip(msg)


@pytest.fixture
def cjk_font():
    need_cjk_font()
