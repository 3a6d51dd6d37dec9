"""Writing the demo corpus: documents as JSON lines, the planted truth as CSV and JSON."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path
from typing import Any

from zhengce.common.errors import UserError
from .model import DemoDocument, DemoTruth, LEVELS, STRATEGIES, planted_mean, truth_description
from .generator import DemoCorpus

# ============================================================================ writing
TRUTH_COLUMNS = (
    "source_id", "level", "year",
    *(f"theta_{s}" for s in STRATEGIES), *(f"share_{s}" for s in STRATEGIES),
    "n_clauses", "sectors", "is_repost_of", "is_forward", "forward_of",
)


def truth_row(t: DemoTruth) -> list:
    return [t.source_id, t.level, t.year,
            *(f"{t.theta[s]:.6f}" for s in STRATEGIES),
            *(f"{t.clause_shares[s]:.6f}" for s in STRATEGIES),
            t.n_clauses, ";".join(t.sectors), t.is_repost_of or "", int(t.is_forward),
            t.forward_of or ""]


_DOCUMENT_FIELDS = tuple(f.name for f in dataclasses.fields(DemoDocument))


def document_json(doc: DemoDocument) -> str:
    """One line of documents.jsonl: the DemoDocument fields in declaration order."""
    return json.dumps({f: getattr(doc, f) for f in _DOCUMENT_FIELDS}, ensure_ascii=False)


def write_demo_corpus(out_dir: str | Path, n_documents: int = 600, random_state: int = 0,
                      start_year: int = 1990, end_year: int = 2015) -> dict[str, Any]:
    """Write ``documents.jsonl`` (what the pipeline sees), ``truth.csv`` and ``truth.json``.

    Streams: one document is in memory at a time. Returns counts (documents, by level, reposts,
    forwards) and the paths written.
    """
    corpus = DemoCorpus(n_documents=n_documents, start_year=start_year, end_year=end_year,
                        random_state=random_state)
    corpus._validate()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the demo output folder {out}: {exc.strerror}; "
                        "choose a writable --out folder") from exc
    docs_path, csv_path, json_path = (out / "documents.jsonl", out / "truth.csv",
                                      out / "truth.json")
    by_level = {lv: 0 for lv in LEVELS}
    by_year: dict[int, int] = {}
    reposts = forwards = total = 0
    with docs_path.open("w", encoding="utf-8", newline="\n") as docs_fh, \
            csv_path.open("w", encoding="utf-8", newline="") as csv_fh:
        writer = csv.writer(csv_fh, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        for doc, truth in corpus.iter_documents():
            docs_fh.write(document_json(doc))
            docs_fh.write("\n")
            writer.writerow(truth_row(truth))
            total += 1
            by_level[truth.level] += 1
            by_year[truth.year] = by_year.get(truth.year, 0) + 1
            reposts += truth.is_repost_of is not None
            forwards += truth.is_forward
    counts = {"documents": total, "by_level": by_level, "by_year": by_year,
              "reposts": reposts, "forwards": forwards}
    description = truth_description()
    description["params"] = {"n_documents": n_documents, "random_state": random_state,
                             "start_year": start_year, "end_year": end_year}
    description["counts"] = counts
    description["truth_csv_columns"] = list(TRUTH_COLUMNS)
    description["planted_mean_by_year"] = {
        lv: {str(y): planted_mean(lv, y) for y in range(start_year, end_year + 1)}
        for lv in LEVELS}
    with json_path.open("w", encoding="utf-8") as fh:
        json.dump(description, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    return {**counts, "documents_path": str(docs_path), "truth_csv": str(csv_path),
            "truth_json": str(json_path)}
