"""Issue 13, hostile input: every case a hostile (or unlucky) user would try against ``zhengce
load``, each with one specific outcome — stored (how many documents), rejected (how many, with
which reason) or a one-line error naming the fix with exit status 2. Never a traceback.

The export/search cases of the issue (formula and terminal-escape injection, --limit/--years
overflow, LIKE wildcards, export overwrites) belong with the export/search work; the crawler's
(``crawl check`` on garbage, 100,000-deep pages) with the crawler.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from zhengce.common.errors import UserError

from .conftest import run_cli

TEXT = "为进一步加强出口退税管理，现就有关事项通知如下。"
TITLE = "国务院关于加强出口退税管理的通知"


def jl(**record) -> bytes:
    return (json.dumps({"title": TITLE, "text": TEXT, **record}, ensure_ascii=False) + "\n").encode()


def jl_raw(line: str) -> bytes:
    return (line + "\n").encode("utf-8", "surrogatepass")


@dataclass
class Case:
    id: str
    files: dict[str, object]  # name -> bytes, ("link", target), ("dir",)
    args: list[str] = field(default_factory=list)
    stored: int | None = None  # documents expected
    rejected: int = 0
    reason: str | None = None  # a substring of every reject's reason
    error: str | None = None  # a substring of the one-line error
    target: str = "in.jsonl"


CASES: list[Case] = []


def add(*cases: Case) -> None:
    CASES.extend(cases)


# -- wrong types in JSON ----------------------------------------------------------------------
for name, value, kind in [("list", ["a", "b"], "a list"), ("dict", {"p": TEXT}, "an object"),
                          ("int", 12345, "a number"), ("float", 1.5, "a number"),
                          ("bool", True, "true/false"), ("nested", [[TEXT]], "a list"),
                          ("empty-list", [], "a list")]:
    add(Case(f"text-as-{name}", {"in.jsonl": jl(text=value)}, stored=0, rejected=1, reason=kind))
for name, value, kind in [("list", ["国务院"], "a list"), ("dict", {"n": 1}, "an object"),
                          ("bool", False, "true/false")]:
    add(Case(f"title-as-{name}", {"in.jsonl": jl(title=value)}, stored=0, rejected=1, reason=kind))
    add(Case(f"issuer-as-{name}", {"in.jsonl": jl(issuer=value)},
             ["--map", "issuer=issuer"], stored=0, rejected=1, reason=kind))
add(Case("text-null", {"in.jsonl": jl(text=None)}, stored=0, rejected=1, reason="empty text"),
    Case("text-blank", {"in.jsonl": jl(text=" \n\t ")}, stored=0, rejected=1, reason="empty text"),
    Case("title-number-is-text", {"in.jsonl": jl(title=2001)}, stored=1),
    Case("json-array-line", {"in.jsonl": b"[1, 2, 3]\n"}, stored=0, rejected=1,
         reason="not an object"),
    Case("json-string-line", {"in.jsonl": b'"just a string"\n'}, stored=0, rejected=1,
         reason="not an object"),
    Case("json-number-line", {"in.jsonl": b"42\n"}, stored=0, rejected=1, reason="not an object"),
    Case("json-huge-int", {"in.jsonl": b'{"title": 1' + b"9" * 5000 + b', "text": "x"}\n'},
         stored=0, rejected=1, reason="not a JSON object"),
    Case("json-deep-nesting", {"in.jsonl": b'{"text": ' + b"[" * 100000 + b"]" * 100000 + b"}\n"},
         stored=0, rejected=1, reason="not a JSON object"))

# -- control characters and surrogates --------------------------------------------------------
for code in [*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F]:
    add(Case(f"text-control-U+{code:04X}", {"in.jsonl": jl(text=TEXT + chr(code) + TEXT)},
             stored=0, rejected=1, reason=f"control character U+{code:04X}"))
for code in (0x00, 0x07, 0x1B, 0x1F, 0x7F):
    add(Case(f"title-control-U+{code:04X}", {"in.jsonl": jl(title=TITLE + chr(code))},
             stored=0, rejected=1, reason=f"control character U+{code:04X}"))
for code in (0x09, 0x0A, 0x0B, 0x0C, 0x0D):
    add(Case(f"text-whitespace-U+{code:04X}", {"in.jsonl": jl(text=TEXT + chr(code) + TEXT)},
             stored=1))
for escape in ("\\ud800", "\\udbff", "\\udc00", "\\udfff"):
    for fld in ("text", "title", "issuer", "id"):
        line = json.dumps({"title": TITLE, "text": TEXT, "issuer": "国务院", "id": "x1"},
                          ensure_ascii=False).replace(
            f'"{fld}": "', f'"{fld}": "{escape}', 1)
        add(Case(f"surrogate-{escape[2:]}-in-{fld}", {"in.jsonl": jl_raw(line)},
                 ["--map", "issuer=issuer", "--map", "id=id"], stored=0, rejected=1,
                 reason="lone surrogate"))
for escape in ("\\ud800", "\\udfff"):
    for fld in ("text", "title"):
        line = json.dumps({"title": TITLE, "text": TEXT}, ensure_ascii=False).replace(
            f'"{fld}": "', f'"{fld}": "{escape}', 1)
        add(Case(f"surrogate-{escape[2:]}-in-{fld}-no-id", {"in.jsonl": jl_raw(line) + jl()},
                 stored=1, rejected=1, reason="lone surrogate"))
add(Case("surrogate-pair-is-fine", {"in.jsonl": jl_raw(
    '{"title": "%s", "text": "%s \\ud840\\udc00"}' % (TITLE, TEXT))}, stored=1))

# -- Unicode that is text and must be stored as given -------------------------------------------
for name, text in [("bidi-override", "\u202e" + TEXT), ("zero-width", TEXT.replace("，", "\u200b，")),
                   ("full-width", "ＡＢＣ１２３" + TEXT), ("traditional", "國務院關於加強出口退稅管理的通知。"),
                   ("emoji", TEXT + "🚀"), ("combining", "e\u0301" + TEXT),
                   ("ext-b", "𠀀𠀁" + TEXT), ("bom-inside", "\ufeff" + TEXT),
                   ("nbsp", TEXT.replace("，", "\u00a0")), ("ideographic-space", "\u3000" + TEXT),
                   ("c1-free-latin", "Café " + TEXT), ("private-use", "\ue000" + TEXT),
                   ("replacement-few", "\ufffd" + TEXT), ("noncharacter", "\ufdd0" + TEXT),
                   ("rtl-arabic", "مرسوم " + TEXT), ("mixed-scripts", "Закон " + TEXT)]:
    add(Case(f"unicode-{name}", {"in.jsonl": jl(text=text)}, stored=1))
add(Case("many-replacement-chars", {"in.jsonl": jl(text="\ufffd" * 40 + TEXT)}, stored=0,
         rejected=1, reason="U+FFFD"))

# -- encodings ----------------------------------------------------------------------------------
add(Case("gb18030-jsonl", {"in.jsonl": jl().decode().encode("gb18030")}, stored=1),
    Case("utf8-bom-jsonl", {"in.jsonl": b"\xef\xbb\xbf" + jl()}, stored=1),
    Case("gb18030-csv", {"in.csv": f"title,text\n{TITLE},{TEXT}\n".encode("gb18030")},
         stored=1, target="in.csv"),
    Case("big5-declared", {"in.csv": "title,text\n國務院通知,國務院關於加強管理。\n".encode("big5")},
         ["--encoding", "big5"], stored=1, target="in.csv"),
    Case("unknown-encoding", {"in.jsonl": jl()}, ["--encoding", "klingon-8"],
         error="unknown encoding"),
    Case("one-bad-utf8-line-csv", {"in.csv": f"title,text\n{TITLE},{TEXT}\n".encode()
                                   + b"\xff\xfe,\xff\n" + f"{TITLE}2,{TEXT}2\n".encode()},
         error="neither UTF-8 nor GB18030; pass --encoding", target="in.csv"),
    Case("latin1-undecodable-line-jsonl", {"in.jsonl": jl() + b'{"title": "\xe9", "text": "x"}\n'},
         error="neither UTF-8 nor GB18030; pass --encoding"),
    Case("one-bad-line-declared-utf8", {"in.jsonl": jl() + b'{"title": "\xff\xfe", "text": "x"}\n'},
         ["--encoding", "utf-8"], stored=1, rejected=1, reason="UnicodeDecodeError"))

# -- truncation and corruption ----------------------------------------------------------------
FULL = b"".join(jl(id=f"t{i}", text=f"{TEXT}第{i}条。") for i in range(30))
GZ = gzip.compress(FULL)
for cut in (10, 20, 40, len(GZ) // 3, len(GZ) // 2, len(GZ) - 12, len(GZ) - 4, len(GZ) - 1):
    add(Case(f"gzip-truncated-at-{cut}", {"in.jsonl.gz": GZ[:cut]}, error="is truncated",
             target="in.jsonl.gz"))
add(Case("gzip-not-gzip", {"in.jsonl.gz": FULL}, error="not a valid gzip file",
         target="in.jsonl.gz"),
    Case("gzip-corrupt-middle", {"in.jsonl.gz": GZ[:30] + bytes(b ^ 0xFF for b in GZ[30:60]) + GZ[60:]},
         error="gzip", target="in.jsonl.gz"),
    Case("gzip-empty-file", {"in.jsonl.gz": b""}, stored=0, target="in.jsonl.gz"),
    Case("gzip-ok", {"in.jsonl.gz": GZ}, stored=30, target="in.jsonl.gz"))
for cut in (5, 17, 33, 60):
    line = jl(id="cut")
    add(Case(f"json-line-truncated-at-{cut}", {"in.jsonl": jl(id="ok") + line[:cut] + b"\n"},
             stored=1, rejected=1, reason="not a JSON object"))
add(Case("csv-unbalanced-quote", {"in.csv": f'title,text\n"{TITLE},{TEXT}\n'.encode()},
         stored=0, rejected=1, reason="malformed CSV", target="in.csv"),
    Case("csv-too-many-fields", {"in.csv": f"title,text\n{TITLE},{TEXT},extra\n".encode()},
         stored=0, rejected=1, reason="3 fields where the header has 2", target="in.csv"),
    Case("csv-too-few-fields", {"in.csv": f"title,text\n{TITLE}\n".encode()},
         stored=0, rejected=1, reason="1 fields where the header has 2", target="in.csv"),
    Case("csv-header-only", {"in.csv": b"title,text\n"}, stored=0, target="in.csv"),
    Case("csv-empty", {"in.csv": b""}, error="is empty", target="in.csv"),
    Case("csv-blank-lines", {"in.csv": f"title,text\n\n{TITLE},{TEXT}\n\n".encode()}, stored=1,
         target="in.csv"),
    Case("csv-nul-in-cell", {"in.csv": f"title,text\n{TITLE},{TEXT}\x00{TEXT}\n".encode()},
         stored=0, rejected=1, target="in.csv"),
    Case("csv-missing-text-column", {"in.csv": b"title,body\nx,y\n"}, error="needs column(s)",
         target="in.csv"),
    Case("tsv-ok", {"in.tsv": f"title\ttext\n{TITLE}\t{TEXT}\n".encode()}, stored=1,
         target="in.tsv"),
    Case("jsonl-empty", {"in.jsonl": b""}, stored=0),
    Case("jsonl-only-blank-lines", {"in.jsonl": b"\n\n  \n"}, stored=0))

# -- duplicates and the first-wins rule -------------------------------------------------------
add(Case("same-id-same-record", {"in.jsonl": jl(id="a") + jl(id="a")}, ["--map", "id=id"],
         stored=1),
    Case("same-id-other-text", {"in.jsonl": jl(id="a") + jl(id="a", text=TEXT + "改")},
         ["--map", "id=id"], stored=1, rejected=1, reason="conflicting duplicate: id 'a'"),
    Case("same-id-other-title", {"in.jsonl": jl(id="a") + jl(id="a", title=TITLE + "（修订）")},
         ["--map", "id=id"], stored=1, rejected=1, reason="first one is kept"),
    Case("same-text-two-ids", {"in.jsonl": jl(id="a") + jl(id="b")}, ["--map", "id=id"],
         stored=2),
    Case("id-as-list", {"in.jsonl": jl(id=["x"])}, ["--map", "id=id"], stored=1))

# -- sizes --------------------------------------------------------------------------------------
add(Case("text-over-the-limit", {"in.jsonl": jl(text="政" * 5_000_001)}, stored=0, rejected=1,
         reason="limit 5,000,000"),
    Case("text-one-megabyte", {"in.jsonl": jl(text=TEXT * 40_000)}, stored=1),
    Case("title-100k-chars", {"in.jsonl": jl(title="通知" * 50_000)}, stored=1),
    Case("one-char-text", {"in.jsonl": jl(text="文")}, stored=1),
    Case("10k-keys-object", {"in.jsonl": (json.dumps({**{f"k{i}": i for i in range(10_000)},
                                                       "title": TITLE, "text": TEXT}) + "\n").encode()},
         stored=1),
    Case("no-title-column", {"in.jsonl": b'{"text": "%s"}\n' % TEXT.encode()},
         error="needs column(s) title"),
    Case("empty-title", {"in.jsonl": jl(title="")}, stored=0, rejected=1, reason="no title"))

# -- paths, options, mappings -------------------------------------------------------------------
add(Case("missing-path", {}, error="does not exist", target="nope.jsonl"),
    Case("folder-as-table", {"docs": ("dir",), "docs/a.txt": TEXT.encode()},
         ["--format", "table"], error="is a folder", target="docs"),
    Case("folder-named-csv", {"x.csv": ("dir",)}, error="has no .txt/.html/.docx/.pdf files",
         target="x.csv"),
    Case("metadata-is-a-folder", {"docs": ("dir",), "docs/a.txt": TEXT.encode(), "meta": ("dir",)},
         ["--metadata", "meta"], error="--metadata", target="docs"),
    Case("metadata-missing", {"docs": ("dir",), "docs/a.txt": TEXT.encode()},
         ["--metadata", "nope.csv"], error="--metadata", target="docs"),
    Case("unknown-extension", {"in.bin": b"\x00\x01"}, error="cannot load", target="in.bin"),
    Case("no-extension", {"data": b"x"}, error="cannot load", target="data"),
    Case("map-missing-column", {"in.jsonl": jl()}, ["--map", "issuer=发文机关"],
         error="no column '发文机关'"),
    Case("map-missing-column-csv", {"in.csv": f"title,text\n{TITLE},{TEXT}\n".encode()},
         ["--map", "issuer=发文机关"], error="the columns are title, text", target="in.csv"),
    Case("map-without-equals", {"in.jsonl": jl()}, ["--map", "issuer"], error="field=column"),
    Case("map-unknown-field", {"in.jsonl": jl()}, ["--map", "colour=title"],
         error="unknown field"),
    Case("mapping-missing-file", {"in.jsonl": jl()}, ["--mapping", "nope.yaml"],
         error="not found"),
    Case("mapping-unknown-name", {"in.jsonl": jl()}, ["--mapping", "nosuch"],
         error="unknown mapping"),
    Case("mapping-python-tag", {"in.jsonl": jl(), "m.yaml": b"fields: !!python/object/apply:os.system ['true']\n"},
         ["--mapping", "m.yaml"], error="not valid YAML"),
    Case("mapping-a-list", {"in.jsonl": jl(), "m.yaml": b"- a\n- b\n"}, ["--mapping", "m.yaml"],
         error="needs a 'fields:' section"),
    Case("mapping-no-text", {"in.jsonl": jl(), "m.yaml": b"fields:\n  title: title\n"},
         ["--mapping", "m.yaml"], error="map a column to 'text'"),
    Case("mapping-bad-yaml", {"in.jsonl": jl(), "m.yaml": b"fields: [unclosed\n"},
         ["--mapping", "m.yaml"], error="not valid YAML"),
    Case("folder-format-on-a-file", {"in.jsonl": jl()}, ["--format", "folder"],
         error="has no .txt/.html/.docx/.pdf files"),
    Case("xlsx-garbage", {"in.xlsx": b"not a zip"}, error="not a readable .xlsx file",
         target="in.xlsx"),
    Case("xlsx-folder", {"in.xlsx": ("dir",)}, ["--format", "table"], error="is a folder",
         target="in.xlsx"))

# -- folders, links, documents ------------------------------------------------------------------
HTML = f"<html><head><title>{TITLE}</title></head><body><p>{TEXT}</p></body></html>".encode()
add(Case("symlink-out-of-folder", {"docs": ("dir",), "docs/a.txt": TEXT.encode(),
                                   "docs/passwd.txt": ("link", "/etc/passwd")},
         stored=1, rejected=1, reason="skipped: a symbolic link to a file outside the folder",
         target="docs"),
    Case("symlink-to-parent-file", {"secret.txt": b"secret", "docs": ("dir",),
                                    "docs/a.txt": TEXT.encode(), "docs/s.txt": ("link", "../secret.txt")},
         stored=1, rejected=1, reason="skipped", target="docs"),
    Case("symlink-inside-folder", {"docs": ("dir",), "docs/a.txt": TEXT.encode(),
                                   "docs/b.txt": ("link", "a.txt")}, stored=2, target="docs"),
    Case("symlinked-dir-out", {"docs": ("dir",), "docs/a.txt": TEXT.encode(),
                               "docs/etc": ("link", "/etc")}, stored=1, target="docs"),
    Case("broken-symlink-out", {"docs": ("dir",), "docs/a.txt": TEXT.encode(),
                                "docs/gone.txt": ("link", "/nonexistent/x.txt")},
         stored=1, rejected=1, reason="skipped", target="docs"),
    Case("html-ok", {"docs": ("dir",), "docs/a.html": HTML}, stored=1, target="docs"),
    Case("html-script-only", {"docs": ("dir",), "docs/a.html": b"<html><body><script>x()</script></body></html>"},
         stored=0, rejected=1, reason="empty text", target="docs"),
    Case("html-empty-file", {"docs": ("dir",), "docs/a.html": b""}, stored=0, rejected=1,
         target="docs"),
    Case("html-unclosed-tags", {"docs": ("dir",), "docs/a.html": b"<div><p>" + TEXT.encode() * 3},
         stored=1, target="docs"),
    Case("html-entities", {"docs": ("dir",), "docs/a.html": f"<p>{TEXT}&amp;&#x4E2D;&#26032;</p>".encode()},
         stored=1, target="docs"),
    Case("html-gb2312-bytes", {"docs": ("dir",), "docs/a.html": f"<p>{TEXT}</p>".encode("gb18030")},
         stored=1, target="docs"),
    Case("html-escape-sequence", {"docs": ("dir",), "docs/a.html": f"<p>{TEXT}\x1b[2J</p>".encode()},
         stored=0, rejected=1, reason="control character U+001B", target="docs"),
    Case("pdf-garbage", {"docs": ("dir",), "docs/a.pdf": b"%PDF-1.4 garbage"}, stored=0,
         rejected=1, reason="could not extract text", target="docs"),
    Case("docx-garbage", {"docs": ("dir",), "docs/a.docx": b"PK\x03\x04garbage"}, stored=0,
         rejected=1, reason="could not extract text", target="docs"),
    Case("txt-binary", {"docs": ("dir",), "docs/a.txt": bytes(range(256)) * 4}, stored=0,
         rejected=1, target="docs"),
    Case("txt-empty", {"docs": ("dir",), "docs/a.txt": b""}, stored=0, rejected=1,
         reason="empty text", target="docs"),
    Case("txt-nul-bytes", {"docs": ("dir",), "docs/a.txt": TEXT.encode() + b"\x00"}, stored=0,
         rejected=1, reason="U+0000", target="docs"),
    Case("folder-without-documents", {"docs": ("dir",), "docs/a.bin": b"x"},
         error="has no .txt/.html/.docx/.pdf files", target="docs"),
    Case("hidden-and-nested", {"docs": ("dir",), "docs/sub": ("dir",), "docs/sub/a.txt": TEXT.encode(),
                               "docs/.b.txt": (TEXT + "二").encode()}, stored=2, target="docs"))


def _materialise(root: Path, files: dict[str, object]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content == ("dir",):
            path.mkdir(exist_ok=True)
        elif isinstance(content, tuple) and content[0] == "link":
            os.symlink(content[1], path)
        else:
            path.write_bytes(content)


def test_there_are_at_least_150_cases():
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_load(case: Case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _materialise(tmp_path, case.files)
    db = tmp_path / "h.db"
    code, out, err = run_cli(["load", case.target, "--db", db, "--jobs", "1", "--no-progress",
                              *case.args], capsys)
    assert "Traceback" not in err
    if case.error is not None:
        assert code == 2, (code, out, err)
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: "), err
        assert case.error in lines[0], lines[0]
        return
    assert code == 0, err
    conn = sqlite3.connect(db)
    n_docs = conn.execute("select count(*) from documents").fetchone()[0]
    reasons = [r[0] for r in conn.execute("select reason from rejects")]
    conn.close()
    assert n_docs == case.stored, (n_docs, reasons)
    assert len(reasons) == case.rejected, reasons
    if case.reason:
        assert all(case.reason in r for r in reasons), reasons
    # loading the same input again changes nothing: no new document, no duplicated reject
    code, _, err = run_cli(["load", case.target, "--db", db, "--jobs", "1", "--no-progress",
                            *case.args], capsys)
    assert code == 0, err
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from documents").fetchone()[0] == n_docs
    assert conn.execute("select count(*) from rejects").fetchone()[0] == len(reasons)
    conn.close()


def test_topics_config_with_a_python_tag_is_one_line(tmp_path):
    from zhengce.nlp.topics.stage import TopicsConfig

    path = tmp_path / "topics.yaml"
    path.write_text("k: !!python/object/apply:os.system ['echo hacked']\n", encoding="utf-8")
    with pytest.raises(UserError) as caught:
        TopicsConfig.load(path)
    assert "\n" not in str(caught.value) and "plain YAML" in str(caught.value)


def test_header_only_reign_file_says_so(tmp_path):
    from zhengce.companions.coup.loader import load_reign_monthly, sample_path
    from zhengce.corpus.store import Store

    header = sample_path().read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "reign.csv"
    path.write_text(header + "\n", encoding="utf-8")
    with pytest.raises(UserError, match="has a header but no rows"):
        load_reign_monthly(Store.memory(), path)
