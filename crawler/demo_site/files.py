"""Real attachment files for the demo site: a PDF written by hand and a DOCX from python-docx.

Both are deterministic (same text → same bytes), so content-addressed storage (sha256 file names)
gives the same names on every run and a resumed crawl can recognise what it already has.
"""

from __future__ import annotations

import io
import zipfile


def _pdf_hex_text(text: str) -> str:
    # Identity-H: each character is written as its 2-byte code, which the ToUnicode map below
    # sends back to the same code point (BMP only; the demo texts are BMP).
    return "".join(f"{ord(ch):04X}" for ch in text if ord(ch) <= 0xFFFF)


def make_pdf(lines: list[str], title: str = "") -> bytes:
    """A minimal valid PDF 1.4 with one page per 40 lines, text extractable by pypdf.

    The font is a Type0/CIDFontType2 reference to a standard CJK font name (not embedded: viewers
    substitute it) with a ToUnicode CMap, which is what text extractors read. Byte offsets in the
    cross-reference table are computed, so the file passes strict parsers.
    """
    pages = [lines[i:i + 40] for i in range(0, max(len(lines), 1), 40)] or [[]]
    objects: list[bytes] = []

    def add(body: str | bytes) -> int:
        objects.append(body.encode("latin-1") if isinstance(body, str) else body)
        return len(objects)

    # ToUnicode: one bfchar entry per character used (as subset fonts do); a single
    # <0000>-<FFFF> range would be valid too, but makes extractors expand 65,536 entries.
    used = sorted({ord(ch) for line in lines + [title] for ch in line if ord(ch) <= 0xFFFF})
    blocks = []
    for i in range(0, len(used), 100):
        chunk = used[i:i + 100]
        blocks.append(f"{len(chunk)} beginbfchar\n"
                      + "".join(f"<{c:04X}> <{c:04X}>\n" for c in chunk) + "endbfchar\n")
    cmap = ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            + "".join(blocks) +
            "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
    catalog = add("")  # placeholder, filled below (needs the pages id)
    pages_id = add("")
    tounicode = add(f"<< /Length {len(cmap)} >>\nstream\n{cmap}endstream")
    descendant = add("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /STSong-Light "
                     "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                     "/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 4 "
                     "/FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 "
                     "/CapHeight 880 /StemV 93 >> /DW 1000 /CIDToGIDMap /Identity >>")
    font = add(f"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
               f"/DescendantFonts [{descendant} 0 R] /ToUnicode {tounicode} 0 R >>")
    page_ids = []
    for page_lines in pages:
        ops = ["BT", "/F1 11 Tf", "14 TL", "50 800 Td"]
        for line in page_lines:
            ops.append(f"<{_pdf_hex_text(line)}> Tj T*")
        ops.append("ET")
        stream = "\n".join(ops)
        content = add(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        page_ids.append(add(f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 595 842] "
                            f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>"))
    objects[pages_id - 1] = (f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] "
                             f"/Count {len(page_ids)} >>").encode("latin-1")
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode("latin-1")
    info = add(f"<< /Title <FEFF{_pdf_hex_text(title)}> /Producer (zhengce demo site) >>")

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode("latin-1") + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("latin-1"))
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode("latin-1"))
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /Info {info} 0 R >>\n"
              f"startxref\n{xref}\n%%EOF\n".encode("latin-1"))
    return out.getvalue()


_FIXED_ZIP_TIME = (2015, 1, 1, 0, 0, 0)


def make_docx(lines: list[str], title: str = "") -> bytes:
    """A DOCX written with python-docx, re-zipped with fixed timestamps (deterministic bytes)."""
    import datetime

    import docx

    document = docx.Document()
    props = document.core_properties
    props.title = title
    props.author = "zhengce demo site"
    fixed = datetime.datetime(2015, 1, 1)
    props.created = fixed
    props.modified = fixed
    props.last_modified_by = "zhengce"
    props.revision = 1
    if title:
        document.add_heading(title, level=1)
    for line in lines:
        document.add_paragraph(line)
    raw = io.BytesIO()
    document.save(raw)
    fixed_zip = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(fixed_zip, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in sorted(src.infolist(), key=lambda i: i.filename):
            info = zipfile.ZipInfo(item.filename, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(item.filename))
    return fixed_zip.getvalue()
