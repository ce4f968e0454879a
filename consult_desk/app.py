"""Composition root: database, schema check, backups, sign-in, services and the main window."""

from __future__ import annotations

import html
import logging
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from consult_desk.config import DatabaseSetting, log_folder, postgresql_guide
from consult_desk.db.engine import Database, sqlite_path, storage_error
from consult_desk.db.location import check_location
from consult_desk.db.migrate import open_or_upgrade
from consult_desk.domain.errors import DomainError
from consult_desk.domain.permissions import Principal
from consult_desk.logs import configure_logging
from consult_desk.services.audit_log import AuditLogService
from consult_desk.services.backups import BackupService
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.dispatch import DispatchService
from consult_desk.services.experts import ExpertService
from consult_desk.services.exports import ExportService
from consult_desk.services.history import HistoryService
from consult_desk.services.imports import ImportService
from consult_desk.services.loan_master import LoanMasterService
from consult_desk.services.loans import LoanService
from consult_desk.services.reference import ReferenceService
from consult_desk.services.report_files import ReportFileService
from consult_desk.services.reporting import ReportingService
from consult_desk.services.safety_net import SafetyNetService
from consult_desk.services.settings import SettingsService
from consult_desk.services.staff import StaffService
from consult_desk.services.streets import StreetService
from consult_desk.services.subsidies import SubsidyService
from consult_desk.services.timeline import TimelineService
from consult_desk.ui.dialogs.sign_in import FirstAdminDialog, SignInDialog
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.idle_lock import IdleLock
from consult_desk.ui.main_window import MainWindow, Services
from consult_desk.ui.messages import text_for
from consult_desk.ui.pages.settings import SettingsServices
from consult_desk.ui.style import STYLE_SHEET, install_font, install_translations

log = logging.getLogger(__name__)


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


def backup_service(db: Database, principal: Principal) -> BackupService:
    return BackupService(db, principal, folder=SettingsService(db, principal).backup_folder())


def daily_backup(db: Database, principal: Principal) -> None:
    """The first start of each day copies the database aside (the last 14 are kept)."""
    if db.dialect != "sqlite":
        return  # the server's backups are the administrator's business
    try:
        made = backup_service(db, principal).daily_if_due()
    except (DomainError, OSError):
        log.exception("daily backup failed")
        return
    if made:
        log.info("daily backup written")


def build_window(
    db: Database, principal: Principal, drafts: DraftStore | None = None
) -> MainWindow:
    path = sqlite_path(db.url)
    location = str(path) if path else db.engine.url.render_as_string(hide_password=True)
    staff = StaffService(db)
    history = HistoryService(db, principal)
    dispatch = DispatchService(db, principal)
    services = Services(
        principal=principal,
        businesses=BusinessService(db, principal),
        consultations=ConsultationService(db, principal),
        reference=ReferenceService(db),
        history=history,
        timeline=TimelineService(db, principal),
        loans=LoanService(db, principal),
        drafts=drafts or DraftStore(),
        settings=SettingsServices(
            principal=principal,
            staff=staff,
            settings=SettingsService(db, principal),
            audit_log=AuditLogService(db, principal),
            history=history,
            backups=lambda: backup_service(db, principal),
            loan_master=LoanMasterService(db, principal),
            dispatch=dispatch,
            subsidies=SubsidyService(db, principal),
            reference=ReferenceService(db),
            location=location,
            connection=DatabaseSetting(),
        ),
        location=location,
        dispatch=dispatch,
        experts=ExpertService(db, principal),
        safety_net=SafetyNetService(db, principal),
        streets=StreetService(db, principal),
        subsidies=SubsidyService(db, principal),
        reporting=ReportingService(db, principal),
        report_files=ReportFileService(db, principal),
        imports=ImportService(db, principal),
        exports=ExportService(db, principal),
    )
    return MainWindow(services)


def sign_in(db: Database) -> Principal | None:
    """The first administrator on a new database, else the sign-in dialog."""
    staff = StaffService(db)
    if not staff.has_accounts():
        first = FirstAdminDialog(staff)
        return first.principal if first.exec() == QDialog.DialogCode.Accepted else None
    dialog = SignInDialog(staff)
    return dialog.principal if dialog.exec() == QDialog.DialogCode.Accepted else None


def _report_unexpected(kind: type[BaseException], value: BaseException, tb: object) -> None:
    """A bug, not a user error: log it (without data) and tell the user, instead of vanishing."""
    log.critical("unexpected error", exc_info=(kind, value, tb))  # type: ignore[arg-type]
    known = storage_error(value)
    text = (
        text_for(known.code)
        if known
        else QApplication.translate(
            "app",
            "予期しないエラーが発生しました。保存済みのデータは失われていません。"
            "ログフォルダの記録を管理者に伝えてください: {0}",
        ).format(log_folder())
    )
    QMessageBox.critical(None, "consult-desk", text)


def notice_html(paragraphs: list[str], guide: Path | None) -> str:
    """Message-box text (rich text) ending in a link that opens the PostgreSQL guide."""
    body = "<br><br>".join(html.escape(p).replace("\n", "<br>") for p in paragraphs)
    if guide is not None:
        href = QUrl.fromLocalFile(str(guide)).toString()
        body += f'<br><br><a href="{href}">{html.escape(str(guide))}</a>'
    return body


def start_failure_text(error: DomainError, url: str) -> str:
    """What the user is told when the database cannot be opened."""
    if error.code == "schema.needs_upgrade":  # PostgreSQL: never upgraded silently
        pending = str(error)  # the revisions this build would apply, one per line
        return notice_html(
            [
                text_for("schema.needs_upgrade_postgresql"),
                pending,
                text_for("postgresql.guide"),
            ],
            postgresql_guide(),
        )
    if error.code.startswith("storage.server_"):
        where = make_url(url).render_as_string(hide_password=True)
        return notice_html(
            [text_for(error.code), where, text_for("postgresql.guide")], postgresql_guide()
        )
    return text_for(error.code)


def warn_about_location(db: Database) -> bool:
    """An SQLite file on a network share or in a synced folder: warn (once per start) and
    point to the PostgreSQL guide. True when a warning was shown."""
    path = sqlite_path(db.url)
    if path is None:
        return False
    found = check_location(path)
    if found is None:
        return False
    log.warning("database in a risky location: %s", found.risk.value)
    text = notice_html(
        [text_for(found.message_code), str(path), text_for("location.advice")],
        postgresql_guide(),
    )
    QMessageBox.warning(None, "consult-desk", text)
    return True


def run_gui(url: str) -> int:
    configure_logging(log_folder())
    app = make_application()
    sys.excepthook = _report_unexpected
    try:
        db = open_database(url)
    except Exception as exc:
        known = exc if isinstance(exc, DomainError) else storage_error(exc)
        if known is None:
            raise
        log.warning("database not opened: %s", known.code)
        QMessageBox.critical(None, "consult-desk", start_failure_text(known, url))
        return 1
    try:
        warn_about_location(db)
        principal = sign_in(db)
        if principal is None:
            return 0
        daily_backup(db, principal)
        window = build_window(db, principal)
        window.restored.connect(app.quit)
        staff = StaffService(db)
        minutes = SettingsService(db, principal).idle_lock_minutes()
        lock = IdleLock(principal, lambda pw: staff.verify_password(principal, pw), minutes)
        lock.setParent(window)
        window.show()
        return app.exec()
    finally:
        db.dispose()
