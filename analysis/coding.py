"""Validating the coding scheme against human coders.

Protocol (coding-scheme-sources.md, "Validation protocol"): draw a hand-coding sample stratified by
level × period, have two or more coders assign each document its dominant strategy
(directive / developmental / regulatory / other), then measure

* agreement between coders — Cohen's κ for each pair of coders (sklearn) and Krippendorff's α
  (nominal) over all coders (the ``krippendorff`` package; it allows missing codes);
* agreement of the hand codes with the automatic label — the argmax category of the document's
  strategy shares s_dc (ties: the first category in scheme order): accuracy, macro-F1, the
  confusion matrix (rows: hand, columns: automatic) and per-category precision / recall;
* the seed terms behind disagreements — every seed term of the scheme found in the documents
  where the hand code ≠ the automatic label, ranked by how often the term belongs to the
  (wrong) automatic category there ("pulls toward the automatic label"), then by frequency.

The sheet (:func:`code_sample`) is *blind*: it shows title, issuer, year, the first ~300 characters
and keyword-in-context snippets of seed terms, but neither the automatic label nor which category
a seed term belongs to.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from zhengce.common.errors import UserError
from zhengce.common.outputs import spreadsheet_safe_frame
from zhengce.common.periods import WTO_YEAR, period_of

from .data import LEVELS, OTHER, STRATEGIES, has_table, latest_topic_run

SHEET_COLUMNS = ["sample_id", "doc_id", "stratum", "level", "period", "year", "title", "issuer",
                 "excerpt", "seed_terms_in_context", "coder", "category", "notes"]
REQUIRED_SHEET_COLUMNS = ("doc_id", "category")
# Category spellings a coder may use, mapped to the scheme's names.
CATEGORY_ALIASES = {"指令型": "directive", "指令": "directive", "发展型": "developmental",
                    "发展": "developmental", "监管型": "regulatory", "规制型": "regulatory",
                    "监管": "regulatory", "其他": "other", "其它": "other"}
STRATA_COLUMNS = ("level", "period", "province", "doc_type", "source", "level_detail")


def _scheme(scheme):
    from zhengce.nlp.scheme import load_scheme

    if scheme is None or isinstance(scheme, (str, Path)):
        return load_scheme(scheme)
    return scheme


def _allocate(n: int, capacity: dict[tuple, int]) -> dict[tuple, int]:
    """Equal allocation of ``n`` over strata, capped by each stratum's size; the shortfall of small
    strata goes to the others (still equally), so the sample is as balanced as the data allow."""
    alloc = {k: 0 for k in capacity}
    remaining = min(n, sum(capacity.values()))
    open_ = [k for k in capacity if capacity[k] > 0]
    while remaining > 0 and open_:
        share, extra = divmod(remaining, len(open_))
        for i, k in enumerate(open_):
            give = min(share + (1 if i < extra else 0), capacity[k] - alloc[k])
            alloc[k] += give
            remaining -= give
        open_ = [k for k in open_ if alloc[k] < capacity[k]]
    return alloc


def _sample_documents(store, run_id: str | None, strata: Sequence[str], wto_year: int) -> pd.DataFrame:
    cols = ["doc_id", "level", "year", "title", "issuer_raw", "issuers", "text"]
    extra = [s for s in strata if s not in ("level", "period") and s not in cols]
    rows = store.db.execute(
        f"select {', '.join(cols + extra)} from documents where year is not null and level in "
        f"({', '.join('?' for _ in LEVELS)}) order by doc_id", list(LEVELS)).fetchall()
    docs = pd.DataFrame(rows, columns=cols + extra)
    if run_id is not None:
        in_run = {r[0] for r in store.db.execute(
            "select distinct doc_id from strategy_shares where run_id = ?", [run_id])}
        docs = docs[docs["doc_id"].isin(in_run)]
    docs["period"] = [period_of(y, wto_year) for y in docs["year"]]
    return docs.reset_index(drop=True)


def _issuer(row) -> str:
    if row["issuer_raw"]:
        return str(row["issuer_raw"])
    try:
        names = json.loads(row["issuers"]) if row["issuers"] else []
    except ValueError:
        names = []
    return "、".join(names)


def code_sample(store, n: int, out, *, strata: Sequence[str] = ("level", "period"),
                run_id: str | None = None, random_state: int = 0, scheme=None,
                excerpt_chars: int = 300, kwic_window: int = 15, max_snippets: int = 6,
                wto_year: int = WTO_YEAR) -> dict:
    """Draw a stratified hand-coding sample and write it as CSV and XLSX.

    ``out``: a file name (its stem is used for both files) or a folder (``coding_sample.*``).
    ``strata``: document columns to stratify on (default level × period; 'period' is pre ≤ 2001
    < post). ``run_id``: sample only documents that have strategy shares in this run, so the
    filled sheet can be scored against it (default: the latest topic run, if any).
    Returns {"csv": path, "xlsx": path, "n": rows, "allocation": DataFrame}.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise UserError(f"n must be a positive number of documents (got {n!r})")
    bad = [s for s in strata if s not in STRATA_COLUMNS]
    if bad:
        raise UserError(f"cannot stratify on {bad}: use any of {', '.join(STRATA_COLUMNS)}")
    if run_id is None:
        run_id = latest_topic_run(store)
    elif not has_table(store, "strategy_shares") or not store.db.execute(
            "select 1 from strategy_shares where run_id = ? limit 1", [run_id]).fetchone():
        raise UserError(f"run {run_id!r} has no strategy shares: pick a run from the runs table")
    docs = _sample_documents(store, run_id, strata, wto_year)
    if docs.empty:
        raise UserError("no documents with a year and a level to sample from: load and tag "
                        "documents first")
    sch = _scheme(scheme)
    terms = sch.terms()
    key = list(strata)
    docs["_stratum"] = docs[key].astype(str).agg(" × ".join, axis=1)
    groups = {name: g for name, g in docs.groupby("_stratum", sort=True)}
    alloc = _allocate(int(n), {k: len(g) for k, g in groups.items()})
    rng = np.random.default_rng(random_state)
    picked = []
    for name in sorted(groups):
        g = groups[name]
        if alloc[name]:
            idx = rng.choice(len(g), size=alloc[name], replace=False)
            picked.append(g.iloc[np.sort(idx)])
    sample = pd.concat(picked, ignore_index=True)
    # shuffled so coders do not see the strata in blocks (order effects)
    sample = sample.iloc[rng.permutation(len(sample))].reset_index(drop=True)
    from zhengce.nlp.topics.labels import kwic

    rows = []
    for i, r in sample.iterrows():
        text = r["text"] or ""
        excerpt = re.sub(r"\s+", " ", text[:excerpt_chars]) + ("…" if len(text) > excerpt_chars else "")
        snippets = kwic(text, terms, window=kwic_window, max_snippets=max_snippets)
        rows.append({"sample_id": i + 1, "doc_id": r["doc_id"], "stratum": r["_stratum"],
                     "level": r["level"], "period": r["period"], "year": int(r["year"]),
                     "title": r["title"] or "", "issuer": _issuer(r), "excerpt": excerpt,
                     "seed_terms_in_context": " | ".join(snippets), "coder": "", "category": "",
                     "notes": ""})
    sheet = spreadsheet_safe_frame(pd.DataFrame(rows, columns=SHEET_COLUMNS))  # crawled titles
    out = Path(out)
    if out.suffix.lower() in (".csv", ".xlsx"):
        folder, stem = out.parent, out.stem
    else:
        folder, stem = out, "coding_sample"
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = folder / f"{stem}.csv", folder / f"{stem}.xlsx"
    sheet.to_csv(csv_path, index=False, encoding="utf-8-sig")  # BOM: Excel reads Chinese right
    categories = [*sch.category_names, OTHER]
    _write_xlsx(sheet, xlsx_path, sch, categories)
    allocation = pd.DataFrame([{"stratum": k, "available": len(groups[k]), "sampled": alloc[k]}
                               for k in sorted(groups)])
    return {"csv": csv_path, "xlsx": xlsx_path, "n": len(sheet), "allocation": allocation,
            "run_id": run_id}


def _write_xlsx(sheet: pd.DataFrame, path: Path, sch, categories: list[str]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "coding"
    ws.append(list(sheet.columns))
    for row in sheet.itertuples(index=False):
        ws.append(list(row))
    widths = {"sample_id": 9, "doc_id": 18, "stratum": 16, "level": 10, "period": 8, "year": 6,
              "title": 40, "issuer": 24, "excerpt": 60, "seed_terms_in_context": 60, "coder": 10,
              "category": 16, "notes": 30}
    for j, col in enumerate(sheet.columns, start=1):
        letter = ws.cell(row=1, column=j).column_letter
        ws.column_dimensions[letter].width = widths.get(col, 14)
        ws.cell(row=1, column=j).font = Font(bold=True)
        if col in ("title", "excerpt", "seed_terms_in_context", "notes"):
            for i in range(2, len(sheet) + 2):
                ws.cell(row=i, column=j).alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "C2"
    cat_col = ws.cell(row=1, column=SHEET_COLUMNS.index("category") + 1).column_letter
    rule = DataValidation(type="list", formula1='"' + ",".join(categories) + '"', allow_blank=True,
                          showErrorMessage=True, errorTitle="Unknown category",
                          error="Choose one of: " + ", ".join(categories))
    ws.add_data_validation(rule)
    rule.add(f"{cat_col}2:{cat_col}{len(sheet) + 1}")
    guide = wb.create_sheet("codebook")
    guide.append(["category", "definition"])
    for name, cat in sch.categories.items():
        guide.append([name, " ".join((cat.definition or "").split())])
    guide.append([OTHER, "No substantive strategy (announcements, lists, meeting notices, "
                         "personnel) or none of the above dominates."])
    guide.append([])
    guide.append(["how to code", "Read the excerpt (open the full text by doc_id when needed) and "
                  "enter the dominant strategy in 'category'; put your name in 'coder'. Seed terms "
                  "are shown in 【】 without their category on purpose: judge the document, not "
                  "the words."])
    guide.column_dimensions["A"].width = 16
    guide.column_dimensions["B"].width = 110
    for row in guide.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    wb.save(path)


# ---------------------------------------------------------------------------------------------
# Scoring filled sheets
# ---------------------------------------------------------------------------------------------

def _read_sheet(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise UserError(f"coding sheet {path} does not exist: check the path")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, sheet_name=0, dtype=str)
        elif path.suffix.lower() in (".csv", ".txt"):
            frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        else:
            raise UserError(f"coding sheet {path}: use a .csv or .xlsx file")
    except UserError:
        raise
    except Exception as exc:  # pandas / openpyxl parse errors: name the file
        raise UserError(f"cannot read coding sheet {path}: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in REQUIRED_SHEET_COLUMNS if c not in frame.columns]
    if missing:
        raise UserError(f"coding sheet {path} lacks column(s) {missing}: it needs doc_id and "
                        f"category (make sheets with 'zhengce code sample')")
    return frame.fillna("")


def _normalize_category(raw: str, allowed: Sequence[str], path: Path, row: int) -> str | None:
    value = str(raw).strip()
    if not value:
        return None
    value = CATEGORY_ALIASES.get(value, value.lower())
    if value not in allowed:
        raise UserError(f"{path} row {row}: category {raw!r} is not one of "
                        f"{', '.join(allowed)}; correct the cell")
    return value


def read_codes(sheets: Iterable, categories: Sequence[str], known_docs: set[str] | None = None
               ) -> tuple[pd.DataFrame, dict]:
    """All codes of all sheets as a long frame (coder, doc_id, category, file, row).

    A sheet's coder is its 'coder' column (one name, or one per row) or else the file stem.
    Rows with an empty category are not codes (counted in the returned info). Row numbers are
    spreadsheet rows (the header is row 1).
    """
    codes, info = [], {"uncoded_rows": 0, "files": []}
    coder_files: dict[str, Path] = {}
    for sheet in sheets:
        path = Path(sheet)
        frame = _read_sheet(path)
        info["files"].append(str(path))
        has_coder = "coder" in frame.columns
        names_here = set()
        seen: dict[tuple[str, str], tuple[int, str]] = {}
        for i, r in frame.iterrows():
            row = int(i) + 2
            doc_id = str(r["doc_id"]).strip()
            if not doc_id:
                if str(r["category"]).strip():
                    raise UserError(f"{path} row {row}: a category without a doc_id; fill doc_id")
                continue
            category = _normalize_category(r["category"], categories, path, row)
            if category is None:
                info["uncoded_rows"] += 1
                continue
            coder = str(r["coder"]).strip() if has_coder else ""
            coder = coder or path.stem
            if known_docs is not None and doc_id not in known_docs:
                raise UserError(f"{path} row {row}: doc_id {doc_id!r} is not in the store; the "
                                "sheet belongs to another database or the id was edited")
            prev = seen.get((coder, doc_id))
            if prev is not None and prev[1] != category:
                raise UserError(f"{path} rows {prev[0]} and {row}: coder {coder!r} gives doc "
                                f"{doc_id} two categories ({prev[1]}, {category}); keep one")
            if prev is not None:
                continue
            seen[(coder, doc_id)] = (row, category)
            names_here.add(coder)
            codes.append({"coder": coder, "doc_id": doc_id, "category": category,
                          "file": str(path), "row": row})
        for name in names_here:
            if name in coder_files and coder_files[name] != path:
                raise UserError(f"coder {name!r} appears in {coder_files[name]} and {path}: give "
                                "each coder one sheet, or distinct names in the 'coder' column")
            coder_files[name] = path
    frame = pd.DataFrame(codes, columns=["coder", "doc_id", "category", "file", "row"])
    if frame.empty:
        raise UserError("the coding sheets contain no codes: fill the 'category' column")
    return frame, info


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's κ = (p_o − p_e) / (1 − p_e) of two coders' labels (sklearn)."""
    from sklearn.metrics import cohen_kappa_score

    return float(cohen_kappa_score(list(a), list(b)))


def krippendorff_alpha(codes: pd.DataFrame, categories: Sequence[str]) -> float:
    """Krippendorff's α (nominal) of a long frame (coder, doc_id, category); missing allowed."""
    import krippendorff

    wide = codes.pivot(index="coder", columns="doc_id", values="category")
    value_of = {c: i for i, c in enumerate(categories)}
    matrix = wide.apply(lambda col: col.map(value_of)).to_numpy(dtype=float)
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))


def automatic_labels(store, run_id: str, categories: Sequence[str]) -> pd.Series:
    """doc_id → argmax category of the run's strategy shares (ties: first in ``categories``)."""
    rows = store.db.execute("select doc_id, category, share from strategy_shares where run_id = ?",
                            [run_id]).fetchall()
    if not rows:
        raise UserError(f"run {run_id!r} has no strategy shares: pick a run from the runs table")
    wide = pd.DataFrame(rows, columns=["doc_id", "category", "share"]).pivot(
        index="doc_id", columns="category", values="share")
    cols = [c for c in categories if c in wide.columns]
    values = wide[cols].fillna(0.0).to_numpy()
    return pd.Series(np.asarray(cols)[values.argmax(axis=1)], index=wide.index, name="auto")


@dataclass
class CodingScore:
    """Agreement between coders and between hand codes and the automatic labels."""

    pairs: pd.DataFrame                  # coder_a, coder_b, n_units, agreement, kappa
    alpha: float | None                  # Krippendorff's α (nominal), None with one coder
    consensus: pd.DataFrame              # doc_id, hand, n_coders, auto, agree
    metrics: dict                        # accuracy, macro_f1, n_docs, n_ties, run_id
    confusion: pd.DataFrame              # rows hand, columns auto
    per_category: pd.DataFrame           # category, precision, recall, f1, support
    per_coder: pd.DataFrame              # coder, n_codes, accuracy vs auto
    disagreement_terms: pd.DataFrame     # term, category, n_disagree, n_agree, n_toward_auto, ...
    info: dict = field(default_factory=dict)

    def write(self, out_dir) -> dict:
        from zhengce.common.outputs import write_manifest, write_table

        out = {"pairs": write_table(self.pairs, out_dir, "coding_agreement_pairs",
                                    caption="Agreement between coders (Cohen's kappa)"),
               "confusion": write_table(self.confusion.reset_index(), out_dir, "coding_confusion",
                                        caption="Hand codes (rows) against automatic labels (columns)"),
               "per_category": write_table(self.per_category, out_dir, "coding_per_category",
                                           caption="Automatic labels scored against hand codes"),
               "per_coder": write_table(self.per_coder, out_dir, "coding_per_coder",
                                        caption="Each coder against the automatic labels"),
               "terms": write_table(self.disagreement_terms, out_dir, "coding_disagreement_terms",
                                    caption="Seed terms in documents where hand code and "
                                            "automatic label differ"),
               "consensus": write_table(self.consensus, out_dir, "coding_consensus",
                                        caption="Consensus hand code and automatic label per document")}
        out["summary"] = write_manifest(out_dir, {"krippendorff_alpha": self.alpha, **self.metrics,
                                                  **self.info}, name="coding_summary.json")
        return out


def code_score(sheets: Sequence, store, run_id: str | None = None, *,
               categories: Sequence[str] | None = None, scheme=None) -> CodingScore:
    """Score filled coding sheets (CSV/XLSX, one per coder or one with a 'coder' column)."""
    if isinstance(sheets, (str, Path)):
        sheets = [sheets]
    if not sheets:
        raise UserError("give at least one filled coding sheet")
    run_id = run_id or latest_topic_run(store)
    if run_id is None:
        raise UserError("no topic run with strategy shares to score against: run the topic stage "
                        "first or pass run_id")
    if categories is None:
        found = [r[0] for r in store.db.execute(
            "select distinct category from strategy_shares where run_id = ?", [run_id])]
        categories = [c for c in STRATEGIES if c in found] + sorted(
            c for c in found if c not in STRATEGIES and c != OTHER) + [OTHER]
    categories = list(dict.fromkeys(categories))
    known = {r[0] for r in store.db.execute("select doc_id from documents")}
    codes, info = read_codes(sheets, categories, known)
    coders = list(dict.fromkeys(codes["coder"]))
    pairs = _pairwise_agreement(codes, coders)
    multi = codes.groupby("doc_id")["coder"].nunique()
    alpha = krippendorff_alpha(codes, categories) if len(coders) > 1 and (multi > 1).any() else None
    consensus, n_ties = _consensus(codes)
    auto = automatic_labels(store, run_id, categories)
    not_in_run = sorted(set(consensus["doc_id"]) - set(auto.index))
    if not_in_run:
        raise UserError(f"{len(not_in_run)} coded documents have no shares in run {run_id} "
                        f"(e.g. {not_in_run[0]}): score against the run the sample was drawn from")
    consensus["auto"] = consensus["doc_id"].map(auto)
    consensus["agree"] = consensus["hand"] == consensus["auto"]
    if consensus.empty:
        raise UserError("every coded document is a tie between coders: nothing to score")
    accuracy, macro_f1, confusion, per_category = _agreement_with_labels(consensus, categories)
    per_coder = []
    for c in coders:
        mine = codes[codes["coder"] == c]
        hit = mine["doc_id"].map(auto) == mine["category"]
        per_coder.append({"coder": c, "n_codes": int(len(mine)), "accuracy": float(hit.mean())})
    terms = _disagreement_terms(store, consensus, _scheme(scheme))
    metrics = {"run_id": run_id, "n_docs": int(len(consensus)), "n_ties": n_ties,
               "accuracy": accuracy, "macro_f1": macro_f1, "n_coders": len(coders),
               "categories": categories}
    info.update(n_codes=int(len(codes)))
    return CodingScore(pairs=pairs, alpha=alpha, consensus=consensus, metrics=metrics,
                       confusion=confusion, per_category=per_category,
                       per_coder=pd.DataFrame(per_coder), disagreement_terms=terms, info=info)


def _pairwise_agreement(codes: pd.DataFrame, coders: Sequence[str]) -> pd.DataFrame:
    """Per pair of coders: documents both coded, raw agreement and Cohen's kappa."""
    pairs = []
    for i, a in enumerate(coders):
        for b in coders[i + 1:]:
            ca = codes[codes["coder"] == a].set_index("doc_id")["category"]
            cb = codes[codes["coder"] == b].set_index("doc_id")["category"]
            shared = ca.index.intersection(cb.index)
            if len(shared) == 0:
                pairs.append({"coder_a": a, "coder_b": b, "n_units": 0, "agreement": np.nan,
                              "kappa": np.nan})
                continue
            x, y = ca.loc[shared], cb.loc[shared]
            pairs.append({"coder_a": a, "coder_b": b, "n_units": int(len(shared)),
                          "agreement": float((x.to_numpy() == y.to_numpy()).mean()),
                          "kappa": cohen_kappa(x, y)})
    return pd.DataFrame(pairs, columns=["coder_a", "coder_b", "n_units", "agreement", "kappa"])


def _consensus(codes: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The majority hand code per document; ties are left out and counted."""
    rows, n_ties = [], 0
    for doc_id, g in codes.groupby("doc_id", sort=True):
        counts = Counter(g["category"])
        top = counts.most_common()
        if len(top) > 1 and top[0][1] == top[1][1]:
            n_ties += 1
            continue
        rows.append({"doc_id": doc_id, "hand": top[0][0], "n_coders": int(len(g))})
    return pd.DataFrame(rows, columns=["doc_id", "hand", "n_coders"]), n_ties


def _agreement_with_labels(consensus: pd.DataFrame, categories: Sequence[str]):
    """Accuracy, macro F1, confusion matrix and per-category precision/recall/F1 of the
    automatic labels against the consensus hand codes."""
    from sklearn.metrics import classification_report, confusion_matrix, f1_score

    labels = [c for c in categories if c in set(consensus["hand"]) | set(consensus["auto"])]
    accuracy = float(consensus["agree"].mean())
    macro_f1 = float(f1_score(consensus["hand"], consensus["auto"], labels=labels, average="macro",
                              zero_division=0))
    confusion = pd.DataFrame(confusion_matrix(consensus["hand"], consensus["auto"], labels=categories),
                             index=pd.Index(categories, name="hand"), columns=categories)
    report = classification_report(consensus["hand"], consensus["auto"], labels=categories,
                                   output_dict=True, zero_division=0)
    per_category = pd.DataFrame([{"category": c, "precision": report[c]["precision"],
                                  "recall": report[c]["recall"], "f1": report[c]["f1-score"],
                                  "support": int(report[c]["support"])} for c in categories])
    return accuracy, macro_f1, confusion, per_category


def _disagreement_terms(store, consensus: pd.DataFrame, sch) -> pd.DataFrame:
    ids = list(consensus["doc_id"])
    texts = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        texts.update(store.db.execute(
            f"select doc_id, coalesce(title, '') || '\n' || coalesce(text, '') from documents "
            f"where doc_id in ({', '.join('?' for _ in chunk)})", chunk).fetchall())
    seeds = sch.seeds()
    stats: dict[str, Counter] = {s.term: Counter() for s in seeds}
    for r in consensus.itertuples():
        text = texts.get(r.doc_id, "")
        for s in seeds:
            if s.term in text:
                c = stats[s.term]
                if r.agree:
                    c["n_agree"] += 1
                else:
                    c["n_disagree"] += 1
                    c["n_toward_auto"] += s.category == r.auto
                    c["n_toward_hand"] += s.category == r.hand
    rows = []
    for s in seeds:
        c = stats[s.term]
        if not c["n_disagree"]:
            continue
        rows.append({"term": s.term, "category": s.category, "n_disagree": c["n_disagree"],
                     "n_agree": c["n_agree"], "n_toward_auto": c["n_toward_auto"],
                     "n_toward_hand": c["n_toward_hand"],
                     "share_disagree": c["n_disagree"] / (c["n_disagree"] + c["n_agree"])})
    frame = pd.DataFrame(rows, columns=["term", "category", "n_disagree", "n_agree", "n_toward_auto",
                                        "n_toward_hand", "share_disagree"])
    return frame.sort_values(["n_toward_auto", "n_disagree", "share_disagree", "term"],
                             ascending=[False, False, False, True]).reset_index(drop=True)
