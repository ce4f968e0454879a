"""The bundled font in PDFs: embedded (subset), Japanese text extractable, output invariant."""

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate

from consult_desk.reports.fonts import FONT, missing_glyphs, register_japanese_font

TEXT = "千代田区 中小企業支援 相談記録 令和8年度 1,234,000円"


def _pdf() -> bytes:
    register_japanese_font()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, invariant=True, title="試験")
    style = ParagraphStyle("body", fontName=FONT, fontSize=12, wordWrap="CJK")
    doc.build([Paragraph(TEXT, style)])
    return out.getvalue()


def test_same_input_gives_the_same_bytes() -> None:
    assert _pdf() == _pdf()
    assert _pdf().startswith(b"%PDF")


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_only_the_bundled_font_is_used_and_it_is_embedded(tmp_path: Path) -> None:
    path = tmp_path / "font.pdf"
    path.write_bytes(_pdf())

    listing = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout

    assert listing, "no font listed"
    for line in listing:
        assert "BIZUDPGothic" in line
        assert " yes yes " in line  # embedded, subset
    assert "千代田区 中小企業支援 相談記録" in text


def test_characters_outside_the_font_are_reported() -> None:
    assert missing_glyphs("千代田区神田錦町") == set()
    assert missing_glyphs("𠮷野家") == {"𠮷"}
