"""The HTML report: self-contained, figures embedded, thin cells flagged, fallbacks explained."""

from __future__ import annotations

import base64
import json
import re

import pytest

from zhengce.analysis.report import build_report, html_table
from zhengce.common.errors import UserError

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|@import|url\(|<script|<link""",
                      re.IGNORECASE)
FIGURES = ("fig1_document_counts", "fig2_regulatory_by_level", "fig3_developmental_directive_by_level",
           "fig4_agency_counts", "fig5_sector_comparison")


def test_report_embeds_every_figure_and_references_nothing_external(built):
    report_store, out, path = built
    page = path.read_text(encoding="utf-8")
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 5
    assert all(base64.b64decode(img)[:8] == b"\x89PNG\r\n\x1a\n" for img in images)
    for name in FIGURES:
        assert (out / "figures" / f"{name}.svg").exists() and (out / "figures" / f"{name}.png").exists()
        assert f'href="figures/{name}.svg"' in page
    assert EXTERNAL.search(page) is None
    # no address outside <pre> blocks; base64 image data is dropped first (its letters can spell
    # "http" by chance, which made this check fail on some runs)
    text = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "", page)
    assert "http" not in re.sub(r"<pre>.*?</pre>", "", text, flags=re.S)
    # tables have rows; thin cells (3 documents in 1996) are flagged and greyed
    assert page.count("<tbody><tr") >= 6
    assert '<tr class="thin">' in page
    assert "fewer than 10 documents" in page and "central 1996 (n=3)" in page
    for section in ("1. Data coverage", "2. Strategy trajectories by level", "3. Effect estimates",
                    "4. Industrial-policy agencies", "5. Sector comparison", "6. Topic model",
                    "7. Runs and manifests"):
        assert section in page
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["measure"] == "topics" and len(manifest["strategy_runs"]) == 1
    assert set(manifest["files"]["figures"]) == set(FIGURES)
    assert (out / "tables" / "pre_post_by_level.tex").exists()
    run = report_store.latest_run("report")
    assert run is not None and json.loads(run["summary"])["n_figures"] == 5


def test_report_effect_tables_show_the_planted_jump(built):
    _, out, _ = built
    import pandas as pd

    pp = pd.read_csv(out / "tables" / "pre_post_by_level.csv").set_index(["level", "category"])
    # planted: central regulatory 0.20 → 0.40, provincial flat, local 0.12 → 0.08
    assert pp.loc[("central", "regulatory"), "diff"] == pytest.approx(0.20, abs=0.02)
    assert pp.loc[("central", "regulatory"), "ci_low"] > 0.15
    assert pp.loc[("local", "regulatory"), "diff"] == pytest.approx(-0.04, abs=0.02)
    effects = pd.read_csv(out / "tables" / "effects_post_by_level.csv")
    ols = effects[(effects["model"] == "ols") & (effects["category"] == "regulatory")].set_index("level")
    assert ols.loc["central", "effect"] == pytest.approx(0.20, abs=0.03)
    comp = pd.read_csv(out / "tables" / "estimate_effect_contrasts.csv")
    central = comp[(comp["target"] == "regulatory") & (comp["level"] == "central")].iloc[0]
    assert central["mean"] == pytest.approx(0.20, abs=0.03) and central["n_draws"] == 10
    agencies = pd.read_csv(out / "tables" / "agency_counts.csv")
    # central documents i = 0..11 a year (0..2 in 1996): i % 3 == 0 NDRC lineage (spc, sdpc, ndrc),
    # 1 MIIT lineage (mii, miit), 2 SASAC from 2003: NDRC = MIIT = 1 + 12 × 4, SASAC = 6 × 4
    assert agencies.groupby("lineage")["n_docs"].sum().to_dict() == {"MIIT": 49, "NDRC": 49, "SASAC": 24}


def test_report_without_a_topic_run_explains_and_still_shows_coverage(store, insert_documents, tmp_path):
    insert_documents(store, [{"doc_id": f"d{i}", "level": "central", "year": 1995 + i} for i in range(5)])
    path = build_report(store, tmp_path / "r", n_boot=20, chinese=False, dpi=60)
    page = path.read_text(encoding="utf-8")
    assert "The topic stage has not run on this database." in page
    assert page.count('<img src="data:image/png;base64,') == 1   # the coverage figure only
    assert "5 documents" in page


def test_report_uses_the_dictionary_measure_as_fallback(store, insert_documents, tmp_path):
    insert_documents(store, [{"doc_id": f"d{i}", "level": ("central", "local")[i % 2],
                              "year": 1998 + i % 8} for i in range(40)])
    with store.run("dictionary_scores", {"scheme": "tan2021"}) as run:
        rows = []
        for i in range(40):
            hits = {"directive": i % 3, "developmental": 1, "regulatory": 2 if i % 2 == 0 else 0}
            if i == 39:
                hits = {"directive": 0, "developmental": 0, "regulatory": 0}
            total = sum(hits.values())
            for cat, n in hits.items():
                rows.append({"doc_id": f"d{i}", "run_id": run.run_id, "category": cat, "n_terms": n,
                             "weighted_terms": float(n), "n_tokens": 100, "share": n / 100,
                             "share_of_scheme": n / total if total else 0.0})
        store.db["dictionary_scores"].insert_all(rows)
    out = tmp_path / "r"
    path = build_report(store, out, n_boot=20, n_draws=5, chinese=False, dpi=60)
    page = path.read_text(encoding="utf-8")
    assert "strategy measure: dictionary measure" in page
    assert "no seed terms 1" in page   # the document without any seed term is counted, not hidden
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["measure"] == "dictionary" and manifest["excluded"] == {"no_seed_terms": 1}
    assert (out / "figures" / "fig2_regulatory_by_level.png").exists()


def test_report_links_the_ldavis_page_of_a_real_topic_run(store, tmp_path, real_topic_run):
    run_id, ldavis = real_topic_run(store, tmp_path / "topics")
    out = tmp_path / "report"
    page = build_report(store, out, n_boot=20, n_draws=0, chinese=False, dpi=60).read_text(encoding="utf-8")
    # the page is copied into the report folder and linked there: a zipped folder keeps it
    assert 'href="ldavis.html"' in page and "../" not in page.split("ldavis.html")[0][-40:]
    assert (out / "ldavis.html").read_bytes() == ldavis.read_bytes()
    assert run_id in page and "SeededLdaModel" in page
    assert "淘汰" in page   # top words of the topics table


def test_figures_with_chinese_labels(tmp_path, cjk_font):
    import pandas as pd

    from zhengce.analysis.figures import plot_prevalence
    from zhengce.common.outputs import save_figure

    table = pd.DataFrame({"level": ["central", "central", "local", "local"],
                          "year": [2001, 2002, 2001, 2002], "category": "regulatory",
                          "mean": [0.2, 0.4, 0.1, 0.1], "ci_low": [0.1, 0.3, 0.0, 0.0],
                          "ci_high": [0.3, 0.5, 0.2, 0.2], "thin": [False, False, True, False]})
    paths = save_figure(plot_prevalence(table, ["regulatory"], chinese=True, note="Source: test"),
                        tmp_path, "zh", dpi=60)
    svg = paths["svg"].read_text(encoding="utf-8")
    assert "中央" in svg and "监管型" in svg and "地方" in svg   # text kept as text (svg.fonttype none)
    assert "WTO accession" in svg and "fewer than 10 documents" in svg


def test_report_errors(store, tmp_path):
    with pytest.raises(UserError, match="no documents"):
        build_report(store, tmp_path / "r", chinese=False)


def test_html_table_escapes_and_greys_thin_rows():
    import pandas as pd

    html = html_table(pd.DataFrame({"name": ["<b>x</b>", "y"], "n": [1, 2], "thin": [True, False]}))
    assert "&lt;b&gt;x&lt;/b&gt;" in html and '<tr class="thin">' in html
    assert html.count("<tr") == 3
