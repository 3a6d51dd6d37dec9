"""Re-run metadata tagging over stored documents without re-fetching.

Each document keeps the source's metadata strings (``documents.source_fields``) and its text; the
untouched source record is in ``raw_records``. After a gazetteer or parser improvement,
:func:`retag_all` recomputes every tagged column and the sector evidence, and reports how many
documents changed.
"""

from __future__ import annotations

import json

from zhengce.common.progress import Progress
from .reference import build_reference_tables
from .store import Store, utcnow
from .tag import tag_fields


def retag_all(store: Store, *, batch_size: int = 500, progress: bool | None = None) -> dict:
    # the store's reference tables follow the gazetteer the documents are re-tagged with
    build_reference_tables(store)
    db = store.db
    total = store.count("documents")
    changed = 0
    done = 0
    bar = Progress("retagging", total, enabled=progress)
    with store.run("retag", {"documents": total}) as run:
        last = ""
        while True:
            rows = db.execute(
                "select doc_id, text, source_fields from documents where doc_id > ? order by doc_id limit ?",
                [last, batch_size]).fetchall()
            if not rows:
                break
            with db.conn:
                for doc_id, text, source_fields in rows:
                    fields = json.loads(source_fields or "{}")
                    hints = fields.pop("_hints", {})
                    fields["text"] = text
                    tagged, sectors = tag_fields(fields, hints=hints)
                    cols = list(tagged)
                    old = db.execute(f"select {', '.join(f'[{c}]' for c in cols)} from documents "
                                     "where doc_id = ?", [doc_id]).fetchone()
                    if tuple(tagged[c] for c in cols) != tuple(old):
                        changed += 1
                        db["documents"].update(doc_id, {**tagged, "tagged_at": utcnow(), "updated_at": utcnow()})
                        db.execute("delete from document_sectors where doc_id = ?", [doc_id])
                        if sectors:
                            db["document_sectors"].insert_all(({"doc_id": doc_id, **s} for s in sectors),
                                                              pk=("doc_id", "sector_code"), replace=True)
                    done += 1
            bar.update(len(rows))
            last = rows[-1][0]
        bar.close()
        run.summary.update(documents=done, changed=changed)
    return {"documents": done, "changed": changed}
