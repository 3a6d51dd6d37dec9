"""Benchmark corpora, built on demand into out/bench (never committed).

- :func:`real_text_corpus`: LawRefBook texts cut into documents of realistic policy-document
  length (log-normal lengths, median about 2,500 characters, cut at paragraph breaks), repeated
  with different cut points until the requested size is reached. Each document keeps its law's
  header-derived metadata (issuer, dates) so the loader's tagging does real work.
- :func:`demo_corpus`: the demo corpus with planted strategy trajectories (corpus.demo).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("ZHENGCE_SHARED", REPO.parent / "shared"))
LAWREFBOOK = SHARED / "corpora" / "lawrefbook.jsonl.gz"
OUT = REPO / "out" / "bench"
MEDIAN_CHARS = 2500
# Cuts land on the next paragraph break and laws end with short remainders; drawing cut lengths
# around 3,200 gives documents with a median of about 2,500 characters (measured).
DRAW_MEDIAN = 3200


def require_lawrefbook() -> Path:
    if not LAWREFBOOK.exists():
        sys.exit(f"{LAWREFBOOK} is absent: the real-text benchmarks need ../shared "
                 "(set ZHENGCE_SHARED to its location)")
    return LAWREFBOOK


def _paragraph_cuts(text: str) -> list[int]:
    return [m.end() for m in re.finditer(r"\n+", text)]


def real_text_corpus(n_documents: int = 43_000, *, random_state: int = 0,
                     out: Path | None = None) -> Path:
    """Write ``n_documents`` JSONL records (generic mapping) and return the path (cached)."""
    from zhengce.corpus.loaders import lawrefbook_fields
    from zhengce.corpus.tagging import parse_lawrefbook

    out = out or OUT / f"realtext_{n_documents}_{random_state}.jsonl"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    laws = []
    with gzip.open(require_lawrefbook(), "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            meta = parse_lawrefbook(rec)
            fields, _ = lawrefbook_fields(meta)
            if len(fields.get("text", "")) >= 400:
                laws.append(fields)
    rng = np.random.default_rng(random_state)
    sigma = 0.45
    written = 0
    tmp = out.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        repetition = 0
        while written < n_documents:
            for li in rng.permutation(len(laws)):
                law = laws[li]
                text = law["text"]
                cuts = _paragraph_cuts(text)
                start = 0
                part = 0
                while start < len(text) and written < n_documents:
                    target = int(np.exp(rng.normal(np.log(DRAW_MEDIAN), sigma)))
                    end = start + target
                    after = [c for c in cuts if c >= end]
                    end = after[0] if after else len(text)
                    chunk = text[start:end].strip()
                    if len(chunk) >= 200:
                        record = {k: v for k, v in law.items() if k != "text"}
                        record.update(id=f"r{repetition}-l{li}-p{part}",
                                      title=f"{law.get('title', '')}（{repetition + 1}-{part + 1}）",
                                      text=chunk)
                        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                        written += 1
                        part += 1
                    start = end
                if written >= n_documents:
                    break
            repetition += 1
    tmp.rename(out)
    return out


def demo_corpus(n_documents: int = 43_000, *, random_state: int = 0) -> Path:
    from zhengce.corpus.demo import write_demo_corpus

    folder = OUT / f"demo_{n_documents}_{random_state}"
    path = folder / "documents.jsonl"
    if not path.exists():
        write_demo_corpus(folder, n_documents=n_documents, random_state=random_state)
    return path


def lengths(path: Path, limit: int | None = None) -> np.ndarray:
    out = []
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if limit and i >= limit:
                break
            out.append(len(json.loads(line)["text"]))
    return np.array(out)
