"""Fonts, translations and the look shared by every window."""

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from consult_desk.assets import font_path

FONT_FAMILY_FALLBACK = "BIZ UDPGothic"
BASE_POINT_SIZE = 10


def install_font(app: QApplication) -> str:
    """Load the bundled Japanese font so no system CJK font is needed; returns its family."""
    family = FONT_FAMILY_FALLBACK
    for bold in (False, True):
        font_id = QFontDatabase.addApplicationFont(str(font_path(bold=bold)))
        if font_id >= 0 and not bold:
            family = QFontDatabase.applicationFontFamilies(font_id)[0]
    app.setFont(QFont(family, BASE_POINT_SIZE))
    return family


def install_translations(app: QApplication) -> list[QTranslator]:
    """Qt's own Japanese strings (保存 / キャンセル in standard buttons and dialogs)."""
    QLocale.setDefault(QLocale(QLocale.Language.Japanese, QLocale.Country.Japan))
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    loaded = []
    for name in ("qtbase_ja", "qt_ja"):
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            loaded.append(translator)
    return loaded


STYLE_SHEET = """
QListWidget#navigation { background: #1f3a5f; color: #ffffff; border: none; font-size: 11pt;
                         outline: 0; }
QListWidget#navigation::item { padding: 10px 14px; }
QListWidget#navigation::item:selected { background: #3d6aa2; }
QLabel#pageTitle { font-size: 15pt; font-weight: bold; color: #1f3a5f; }
QLabel#notice { color: #444444; font-size: 11pt; }
QLabel#count { color: #333333; }
QTableView { gridline-color: #dddddd; alternate-background-color: #f4f7fb; }
QHeaderView::section { background: #e8eef6; padding: 4px; border: none;
                       border-right: 1px solid #d0d8e4; font-weight: bold; }
"""
