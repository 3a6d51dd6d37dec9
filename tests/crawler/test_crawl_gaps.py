"""``crawl --sites govcn --gaps``: missing 发文字号 searched in the (demo) policy library by number;
every gap recorded as found (and stored) or absent."""

from __future__ import annotations

import csv

import pytest

from crawl_helpers import demo_crawl_args, query, run_zhengce
from zhengce.corpus.tagging import parse_doc_number
from zhengce.crawler.demo_site import DemoSite


@pytest.mark.slow
def test_gaps_are_filled_or_confirmed_absent(tmp_path):
    db = tmp_path / "demo.db"
    with DemoSite(n_documents=150, random_state=3, flaky_failures=0) as site:
        govcn = [d for d in site.content.documents if d.site_kind == "govcn" and d.doc_number
                 and "〔" in d.doc_number]
        hidden = [govcn[4], govcn[8]]          # listed by no date window: a crawl cannot see them
        site.content.unlist([d.url for d in hidden])
        run_zhengce(*demo_crawl_args(site, ["govcn"], db))
        for doc in hidden:
            assert not query(db, "select 1 from crawl_state where url = ?", [doc.url])
        out = tmp_path / "cov"
        run_zhengce("coverage", "--db", str(db), "--out", str(out))
        with (out / "gaps.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        listed = {d.doc_number for d in govcn if d not in hidden}
        # the numbers seen elsewhere (another source's citation, say) are added by hand
        for doc in hidden:
            n = parse_doc_number(doc.doc_number)
            rows.append({"prefix": n.prefix, "year": str(n.year), "serial": str(n.serial),
                         "doc_number": n.normalized, "issuer": "", "level": "central"})
        with (out / "gaps.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        run_zhengce(*demo_crawl_args(site, ["govcn"], db, "--gaps", str(out / "gaps.csv")))
    outcomes = dict(query(db, "select doc_number, outcome from gap_fills"))
    assert len(outcomes) == len(rows)
    hidden_numbers = {parse_doc_number(d.doc_number).normalized for d in hidden}
    assert {n for n, o in outcomes.items() if o == "found"} == hidden_numbers
    assert all(o == "absent" for n, o in outcomes.items() if n not in hidden_numbers)
    assert not hidden_numbers & listed
    for doc in hidden:
        assert query(db, "select status from crawl_state where url = ?", [doc.url]) == [("stored",)]
    assert query(db, "select url from gap_fills where outcome = 'found' order by url") == sorted(
        (d.url,) for d in hidden)
    # the next coverage run says which remaining gaps gov.cn confirmed absent
    run_zhengce("coverage", "--db", str(db), "--out", str(tmp_path / "cov2"))
    with (tmp_path / "cov2" / "gaps.csv").open(encoding="utf-8") as fh:
        after = list(csv.DictReader(fh))
    searched = {r["doc_number"] for r in rows}
    assert after and all(r["gap_fill"] == "absent" for r in after if r["doc_number"] in searched)
    assert not hidden_numbers & {r["doc_number"] for r in after}


def test_gaps_need_govcn_and_a_gaps_file(tmp_path):
    from crawl_helpers import zhengce_command
    import subprocess

    bad = subprocess.run(zhengce_command("crawl", "--sites", "ndrc", "--gaps", str(tmp_path / "g.csv"),
                                         "--db", str(tmp_path / "x.db")),
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "--sites govcn" in bad.stderr and "Traceback" not in bad.stderr
    missing = subprocess.run(zhengce_command("crawl", "--sites", "govcn", "--gaps",
                                             str(tmp_path / "g.csv"), "--db", str(tmp_path / "x.db")),
                             capture_output=True, text=True)
    assert missing.returncode != 0 and "zhengce coverage" in missing.stderr
