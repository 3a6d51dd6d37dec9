"""Figures draw Chinese on a machine with no CJK system font: the font comes with the package."""

from __future__ import annotations

import warnings

import pytest

from zhengce.common import outputs


@pytest.fixture
def no_system_cjk_fonts(monkeypatch):
    """matplotlib as on a bare machine: no CJK font in its list, none on disk, none named."""
    from matplotlib import font_manager

    plain = [f for f in font_manager.fontManager.ttflist
             if not any(tag in f.name for tag in ("CJK", "Hei", "Song", "Ming", "Han", "WenQuanYi"))]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", plain)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *args, **kwargs: [])
    monkeypatch.delenv("ZHENGCE_CJK_FONT", raising=False)


def test_packaged_font_is_found_without_system_fonts(no_system_cjk_fonts):
    path = outputs.find_cjk_font()
    assert path is not None and path == outputs.packaged_cjk_font()
    assert path.endswith("NotoSansCJKsc-Regular.otf")


def test_chinese_labels_render_with_the_packaged_font(no_system_cjk_fonts, tmp_path):
    import matplotlib.pyplot as plt

    assert outputs.use_cjk_font() == "Noto Sans CJK SC"
    fig, ax = plt.subplots()
    ax.set_title("中央 · 省级 · 地方：指令型、发展型、监管型")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = outputs.save_figure(fig, tmp_path, "labels")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    assert paths["png"].stat().st_size > 1000


def test_without_any_cjk_font_the_error_names_the_fix(no_system_cjk_fonts, monkeypatch):
    monkeypatch.setattr(outputs, "packaged_cjk_font", lambda: None)
    assert outputs.find_cjk_font() is None
    with pytest.raises(outputs.UserError, match="pip install mplfonts"):
        outputs.use_cjk_font()
