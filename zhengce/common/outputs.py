"""Writing results the same way everywhere: tables (CSV, Markdown, LaTeX), figures (PNG, SVG),
manifests (JSON), and a CJK-capable matplotlib font.

Used by the main report and by every companion, so a table or figure from any part of zhengce
looks and is archived the same way.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from .errors import UserError

# Fonts that render Chinese, in order of preference. Debian: fonts-noto-cjk, fonts-wqy-microhei.
CJK_FONT_CANDIDATES = (
    "Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
    "Heiti SC", "AR PL UMing CN", "Droid Sans Fallback",
)
CJK_FONT_HELP = (
    "no font that can draw Chinese was found: pip install mplfonts (it ships Noto Sans CJK SC; "
    "part of pip install 'zhengce[analysis]'), install a system one (Debian/Ubuntu: apt-get "
    "install fonts-noto-cjk), or set ZHENGCE_CJK_FONT to a .ttf/.otf/.ttc path"
)
#: Noto Sans CJK SC as shipped by the ``mplfonts`` package (a dependency of zhengce[analysis])
PACKAGED_CJK_FONT = ("mplfonts", "fonts", "NotoSansCJKsc-Regular.otf")


def _fmt_cell(value: Any, float_format: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return float_format % value
    return str(value)


def _cell_texts(frame: pd.DataFrame, float_format: str) -> pd.DataFrame:
    """Every cell as the text both formats show: floats by ``float_format``, missing as empty."""
    return frame.astype(object).map(lambda value: _fmt_cell(value, float_format))


def _numeric_columns(frame: pd.DataFrame) -> list[bool]:
    return [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]


def to_markdown(df: pd.DataFrame, *, float_format: str = "%.4f", index: bool = False) -> str:
    """A GitHub-flavoured Markdown table by ``DataFrame.to_markdown`` (tabulate's pipe format):
    numeric columns right-aligned, cells pre-formatted so values read as in the LaTeX table."""
    frame = df.reset_index() if index else df
    # a "|" inside a cell would end it: tabulate's pipe format does not escape it
    texts = _cell_texts(frame, float_format).map(lambda text: text.replace("|", "\\|"))
    texts.columns = [str(c) for c in frame.columns]
    align = ["right" if numeric else "left" for numeric in _numeric_columns(frame)]
    return texts.to_markdown(index=False, tablefmt="pipe", disable_numparse=True,
                             colalign=align or None) + "\n"


# Styler escapes cells and headers (escape="latex"), not the caption: same characters here.
_TEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}"}


def _tex_escape(text: str) -> str:
    return "".join(_TEX_ESCAPES.get(ch, ch) for ch in text)


def to_latex(df: pd.DataFrame, *, caption: str | None = None, label: str | None = None,
             float_format: str = "%.4f", index: bool = False) -> str:
    """A booktabs LaTeX table by ``Styler.to_latex``: numeric columns right-aligned, cells and
    headers LaTeX-escaped, floated ``[htbp]`` and centred."""
    frame = df.reset_index() if index else df
    align = "".join("r" if numeric else "l" for numeric in _numeric_columns(frame))
    styler = (_cell_texts(frame, float_format).style.hide(axis="index")
              .format(escape="latex").format_index(escape="latex", axis=1))
    return styler.to_latex(column_format=align, position="htbp", position_float="centering",
                           hrules=True, label=label,
                           caption=_tex_escape(caption) if caption else None)


def write_table(df: pd.DataFrame, out_dir: str | Path, name: str, *, caption: str | None = None,
                float_format: str = "%.4f", index: bool = False) -> dict[str, Path]:
    """Write ``name.csv`` (full precision), ``name.md`` and ``name.tex``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / f"{name}.csv", "md": out / f"{name}.md", "tex": out / f"{name}.tex"}
    df.to_csv(paths["csv"], index=index)
    md = to_markdown(df, float_format=float_format, index=index)
    if caption:
        md = f"**{caption}**\n\n" + md
    paths["md"].write_text(md, encoding="utf-8")
    paths["tex"].write_text(to_latex(df, caption=caption, label=f"tab:{name}",
                                     float_format=float_format, index=index), encoding="utf-8")
    return paths


def save_figure(fig, out_dir: str | Path, name: str, *, dpi: int = 200) -> dict[str, Path]:
    """Save a matplotlib figure as ``name.png`` and ``name.svg`` and close it."""
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"png": out / f"{name}.png", "svg": out / f"{name}.svg"}
    fig.savefig(paths["png"], dpi=dpi, bbox_inches="tight")
    fig.savefig(paths["svg"], bbox_inches="tight")
    plt.close(fig)
    return paths


def write_manifest(out_dir: str | Path, manifest: Mapping[str, Any],
                   name: str = "manifest.json") -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str, sort_keys=True),
                    encoding="utf-8")
    return path


def packaged_cjk_font() -> str | None:
    """Noto Sans CJK SC from the ``mplfonts`` package, when it is installed (else None).

    Found without importing the package (importing it changes matplotlib's settings).
    """
    import importlib.util

    spec = importlib.util.find_spec(PACKAGED_CJK_FONT[0])
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location).joinpath(*PACKAGED_CJK_FONT[1:])
        if path.is_file():
            return str(path)
    return None


def find_cjk_font() -> str | None:
    """Path of a font that covers Chinese, or None.

    In order: ``$ZHENGCE_CJK_FONT``; the Noto Sans CJK SC that ``pip install zhengce[analysis]``
    brings (mplfonts), so figures need no system package and look the same on every machine; then
    the system's fonts.
    """
    import os

    from matplotlib import font_manager

    explicit = os.environ.get("ZHENGCE_CJK_FONT")
    if explicit:
        if not Path(explicit).is_file():
            raise UserError(f"ZHENGCE_CJK_FONT={explicit} is not a file: point it at a .ttf/.otf/.ttc")
        return explicit
    packaged = packaged_cjk_font()
    if packaged:
        return packaged
    by_name = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FONT_CANDIDATES:
        if family in by_name:
            return by_name[family]
    for f in font_manager.fontManager.ttflist:  # any font whose name says it is CJK
        if any(tag in f.name for tag in ("CJK", "Hei", "Song", "Ming", "Han Sans", "WenQuanYi")):
            return f.fname
    # matplotlib's font cache is written once: a font installed after it (apt-get install
    # fonts-noto-cjk after a first plot) is on disk but not in ttflist. Look on disk, prefer sans.
    on_disk = sorted(p for p in font_manager.findSystemFonts()
                     if any(tag in Path(p).name.lower()
                            for tag in ("cjk", "wqy", "sourcehan", "wenquanyi")))
    if on_disk:
        sans = [p for p in on_disk if "sans" in Path(p).name.lower()]
        regular = [p for p in (sans or on_disk) if "regular" in Path(p).name.lower()]
        return (regular or sans or on_disk)[0]
    return None


def use_cjk_font() -> str:
    """Configure matplotlib to draw Chinese; return the font family used.

    Raises :class:`UserError` naming the fix when no CJK font is installed, instead of letting
    matplotlib draw empty boxes.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, rcParams

    path = find_cjk_font()
    if path is None:
        raise UserError(CJK_FONT_HELP)
    font_manager.fontManager.addfont(path)
    family = font_manager.FontProperties(fname=path).get_name()
    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    rcParams["axes.unicode_minus"] = False
    rcParams["svg.fonttype"] = "none"  # keep text as text in SVG (searchable, small)
    return family


#: A spreadsheet reads a cell starting with one of these as a formula (or, for tab and CR, a
#: cell a formula can hide behind); titles come from crawled pages, so exported sheets defuse them.
SPREADSHEET_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` with an apostrophe in front when it is text a spreadsheet would run as a
    formula (``=HYPERLINK(…)``, ``+1``, ``@SUM``); anything else unchanged. The store keeps the raw
    text; only exported CSV/XLSX cells carry the apostrophe (the codebooks say so)."""
    if isinstance(value, str) and value.startswith(SPREADSHEET_FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`spreadsheet_safe` applied to every text cell of ``frame`` (a copy)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(spreadsheet_safe)
    return out
