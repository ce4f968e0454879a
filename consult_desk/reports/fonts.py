"""The bundled Japanese font for PDFs: registered once, embedded as a subset in every file.

ReportLab's built-in CID fonts are not embedded, so viewers without them show boxes; the
bundled TrueType font makes every PDF look the same everywhere.
"""

from reportlab import rl_config
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from consult_desk.assets import font_path

FONT = "BIZUDPGothic"
FONT_BOLD = "BIZUDPGothic-Bold"


def register_japanese_font() -> str:
    """Register the font (idempotent) and make it ReportLab's base font; returns its name."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(font_path())))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(font_path(bold=True))))
        addMapping(FONT, 0, 0, FONT)
        addMapping(FONT, 1, 0, FONT_BOLD)
        addMapping(FONT, 0, 1, FONT)
        addMapping(FONT, 1, 1, FONT_BOLD)
    # Paragraph styles and canvases default to this name: no stray Helvetica reference.
    rl_config.canvas_basefontname = FONT
    return FONT


def missing_glyphs(text: str) -> set[str]:
    """Characters the font cannot draw (e.g. 𠮷), to report instead of printing boxes."""
    register_japanese_font()
    face = pdfmetrics.getFont(FONT).face
    return {ch for ch in set(text) if not ch.isspace() and ord(ch) not in face.charToGlyph}
