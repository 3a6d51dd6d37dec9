"""The report on real data: the LawRefBook corpus (3,284 laws, 1949–2024), without a topic run."""

from __future__ import annotations

import json

import pandas as pd
import pytest

pytestmark = [pytest.mark.shared, pytest.mark.slow]


@pytest.fixture(scope="module")
def law_store(lawrefbook_path, tmp_path_factory):
    from zhengce.corpus.loaders import load_path
    from zhengce.corpus.store import Store

    store = Store.open(tmp_path_factory.mktemp("law") / "law.db")
    load_path(store, lawrefbook_path, progress=False)
    yield store
    store.close()


def test_report_on_lawrefbook(law_store, tmp_path):
    from zhengce.analysis.report import build_report

    out = tmp_path / "report"
    path = build_report(law_store, out, n_boot=20, chinese=False, dpi=60)
    page = path.read_text(encoding="utf-8")
    assert "The topic stage has not run on this database." in page
    # the document counts and the 发文字号 sequence coverage (LawRefBook's 国务院令 ... series)
    assert page.count('<img src="data:image/png;base64,') == 2
    assert "How complete is the corpus?" in page
    counts = pd.read_csv(out / "tables" / "counts_level_year.csv")
    dated = counts[counts["level"].isin(["central", "provincial", "local"])]
    n_docs = law_store.count("documents")
    undated = int(counts.loc[~counts["level"].isin(["central", "provincial", "local"]), "n_docs"].sum())
    assert int(dated["n_docs"].sum()) + undated == n_docs          # every document accounted for
    assert set(dated["level"]) == {"central", "provincial", "local"}
    assert dated["thin"].any() and (dated.loc[dated["thin"], "n_docs"] < 10).all()
    assert '<tr class="thin">' in page
    decades = pd.read_csv(out / "tables" / "counts_decade.csv")
    assert decades["decade"].iloc[0] == "1940s" and decades["decade"].iloc[-1] == "2020s"
    assert int(decades[["central", "provincial", "local"]].to_numpy().sum()) == int(dated["n_docs"].sum())
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["measure"] is None and manifest["n_documents"] == n_docs
    assert any("fewer than 10 documents" in w for w in manifest["warnings"])
    # LawRefBook laws come from the NPC and the State Council: no NDRC / MIIT / SASAC documents
    assert "No industrial-policy document of these agencies" in page
