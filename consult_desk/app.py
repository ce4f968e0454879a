"""Composition root: database, schema check, services, Qt application and main window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QMessageBox

from consult_desk.db.engine import Database, sqlite_path
from consult_desk.db.migrate import open_or_upgrade
from consult_desk.domain.errors import DomainError
from consult_desk.services.businesses import BusinessService
from consult_desk.services.reference import ReferenceService
from consult_desk.ui.main_window import MainWindow, Services
from consult_desk.ui.messages import text_for
from consult_desk.ui.style import STYLE_SHEET, install_font, install_translations


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("consult-desk")
    app.setApplicationDisplayName("consult-desk")
    install_font(app)
    install_translations(app)
    app.setStyleSheet(STYLE_SHEET)
    return app


def open_database(url: str) -> Database:
    """Open the database at this build's schema: build a new file, back up then upgrade an
    older SQLite file; refuse a newer or foreign one. PostgreSQL is upgraded by an
    administrator (``consult-desk db upgrade``), never silently."""
    db = Database(url)
    try:
        open_or_upgrade(db.engine, allow_upgrade=db.dialect == "sqlite")
    except BaseException:
        db.dispose()
        raise
    return db


def build_window(db: Database) -> MainWindow:
    path = sqlite_path(db.url)
    location = str(path) if path else db.engine.url.render_as_string(hide_password=True)
    services = Services(
        businesses=BusinessService(db), reference=ReferenceService(db), location=location
    )
    return MainWindow(services)


def run_gui(url: str) -> int:
    app = make_application()
    try:
        db = open_database(url)
    except DomainError as exc:
        QMessageBox.critical(None, "consult-desk", text_for(exc.code))
        return 1
    window = build_window(db)
    window.show()
    try:
        return app.exec()
    finally:
        db.dispose()
