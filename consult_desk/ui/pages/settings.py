"""設定: own password for everyone; staff, backups and the trash for administrators; the audit
log for auditors and administrators; the loan master data for the loan desk (read-only except
for administrators). Tabs a role may not use are not shown (and the services refuse them
anyway)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from consult_desk.config import DatabaseSetting
from consult_desk.domain.errors import DomainError
from consult_desk.domain.fiscal import japan_today
from consult_desk.domain.messages import field_label
from consult_desk.domain.permissions import Action, Kind, Principal, Role
from consult_desk.domain.reference import StaffMember
from consult_desk.services.audit_log import (
    ACTION_LABELS,
    JST,
    RECORD_KIND_LABELS,
    AuditLogService,
    AuditQuery,
    AuditRow,
)
from consult_desk.services.backups import BackupService
from consult_desk.services.dispatch import DispatchService
from consult_desk.services.history import HistoryService
from consult_desk.services.loan_master import LoanMasterService
from consult_desk.services.reference import ReferenceService
from consult_desk.services.settings import IDLE_MINUTES_RANGE, SettingsService
from consult_desk.services.staff import NewStaff, StaffService
from consult_desk.services.subsidies import SubsidyService
from consult_desk.ui.messages import error_text
from consult_desk.ui.models.paged_table import PagedTableModel
from consult_desk.ui.pages.dispatch_master import DispatchProgramsTab, shows_dispatch_master
from consult_desk.ui.pages.loan_master import (
    BanksTab,
    LoanDeadlinesTab,
    LoanProgramsTab,
    shows_loan_master,
)
from consult_desk.ui.pages.subsidy_master import SubsidyProgramsTab, shows_subsidy_master


@dataclass(frozen=True, slots=True)
class SettingsServices:
    principal: Principal
    staff: StaffService
    settings: SettingsService
    audit_log: AuditLogService
    history: HistoryService
    backups: Callable[[], BackupService]  # built on demand: the folder may change
    loan_master: LoanMasterService
    dispatch: DispatchService | None = None  # 派遣制度 (programs, 年度 rules, report days)
    subsidies: SubsidyService | None = None  # 補助金制度 (programs and their dated terms)
    reference: ReferenceService | None = None  # the plan's initiatives a program serves
    location: str = ""  # the database in use: a file or a server URL without its password
    connection: DatabaseSetting | None = None  # this PC's saved database, for the next start


def _python_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _show_error(parent: QWidget, error: DomainError) -> None:
    QMessageBox.warning(parent, "consult-desk", error_text(error))


def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    return table


class PasswordTab(QWidget):
    def __init__(self, services: SettingsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.current_edit = _password_edit()
        self.new_edit = _password_edit()
        self.repeat_edit = _password_edit()
        self.save_button = QPushButton(self.tr("パスワードを変更"))
        self.save_button.clicked.connect(self._save)
        for edit in (self.current_edit, self.new_edit, self.repeat_edit):
            edit.setMaximumWidth(320)
        self.save_button.setMaximumWidth(200)
        form = QFormLayout(self)
        form.addRow(self.tr("現在のパスワード"), self.current_edit)
        form.addRow(self.tr("新しいパスワード（10文字以上）"), self.new_edit)
        form.addRow(self.tr("新しいパスワード（確認）"), self.repeat_edit)
        form.addRow("", self.save_button)

    def _save(self) -> None:
        if self.new_edit.text() != self.repeat_edit.text():
            QMessageBox.warning(self, "consult-desk", self.tr("確認用のパスワードが一致しません。"))
            return
        try:
            self._services.staff.change_password(
                self._services.principal, self.current_edit.text(), self.new_edit.text()
            )
        except DomainError as error:
            _show_error(self, error)
            return
        for edit in (self.current_edit, self.new_edit, self.repeat_edit):
            edit.clear()
        QMessageBox.information(self, "consult-desk", self.tr("パスワードを変更しました。"))


class StaffDialog(QDialog):
    """Register a member of staff (administrators)."""

    def __init__(self, staff: StaffService, principal: Principal, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("職員の登録"))
        self._staff = staff
        self._principal = principal
        self.login_edit = QLineEdit()
        self.name_edit = QLineEdit()
        self.kana_edit = QLineEdit()
        self.password_edit = _password_edit()
        self.role_checks = {role: QCheckBox(role.label) for role in Role}
        self.grant_check = QCheckBox(self.tr("融資の金額を閲覧できる（相談員向け）"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        roles = QHBoxLayout()
        for check in self.role_checks.values():
            roles.addWidget(check)
        form = QFormLayout()
        form.addRow(self.tr("ログイン名"), self.login_edit)
        form.addRow(self.tr("氏名"), self.name_edit)
        form.addRow(self.tr("フリガナ"), self.kana_edit)
        form.addRow(self.tr("初期パスワード"), self.password_edit)
        form.addRow(self.tr("役割"), roles)
        form.addRow("", self.grant_check)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def _save(self) -> None:
        try:
            self._staff.add(
                self._principal,
                NewStaff(
                    login=self.login_edit.text(),
                    name=self.name_edit.text(),
                    name_kana=self.kana_edit.text(),
                    roles=tuple(r for r, c in self.role_checks.items() if c.isChecked()),
                    password=self.password_edit.text(),
                    loan_amount_grant=self.grant_check.isChecked(),
                ),
            )
        except DomainError as error:
            _show_error(self, error)
            return
        self.accept()


class StaffTab(QWidget):
    def __init__(self, services: SettingsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._members: list[StaffMember] = []
        self.table = _table(
            [self.tr("ログイン名"), self.tr("氏名"), self.tr("役割"), self.tr("状態")]
        )
        self.add_button = QPushButton(self.tr("職員を登録…"))
        self.reset_button = QPushButton(self.tr("パスワード再設定…"))
        self.active_button = QPushButton(self.tr("利用停止 / 再開"))
        self.add_button.clicked.connect(self._add)
        self.reset_button.clicked.connect(self._reset)
        self.active_button.clicked.connect(self._toggle_active)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.reset_button, self.active_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.refresh()

    def refresh(self) -> None:
        self._members = self._services.staff.list(self._services.principal)
        self.table.setRowCount(len(self._members))
        for row, member in enumerate(self._members):
            values = [
                member.login,
                member.name,
                "・".join(r.label for r in member.roles),
                self.tr("利用中") if member.active else self.tr("停止中"),
            ]
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()

    def _selected(self) -> StaffMember | None:
        rows = self.table.selectionModel().selectedRows()
        return self._members[rows[0].row()] if rows else None

    def _add(self) -> None:
        dialog = StaffDialog(self._services.staff, self._services.principal, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.refresh()

    def _reset(self) -> None:
        member = self._selected()
        if member is None:
            return
        dialog = QDialog(self)
        dialog.setWindowTitle(self.tr("パスワード再設定: {0}").format(member.name))
        edit = _password_edit()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form = QFormLayout(dialog)
        form.addRow(self.tr("新しいパスワード"), edit)
        form.addRow(buttons)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            self._services.staff.reset_password(self._services.principal, member.id, edit.text())
        except DomainError as error:
            _show_error(self, error)

    def _toggle_active(self) -> None:
        member = self._selected()
        if member is None:
            return
        try:
            self._services.staff.set_active(self._services.principal, member.id, not member.active)
        except DomainError as error:
            _show_error(self, error)
        self.refresh()


class BackupTab(QWidget):
    restored = Signal()

    def __init__(self, services: SettingsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.folder_label = QLabel()
        self.folder_button = QPushButton(self.tr("バックアップ先を変更…"))
        self.folder_button.clicked.connect(self._choose_folder)
        self.idle_spin = QSpinBox()
        self.idle_spin.setRange(*IDLE_MINUTES_RANGE)
        self.idle_spin.setSuffix(self.tr(" 分"))
        self.idle_spin.setValue(services.settings.idle_lock_minutes())
        self.idle_spin.setMaximumWidth(120)
        self.idle_spin.editingFinished.connect(self._save_idle)
        self.table = _table(
            [self.tr("作成日時"), self.tr("種類"), self.tr("サイズ"), self.tr("ファイル")]
        )
        self.backup_button = QPushButton(self.tr("今すぐバックアップ"))
        self.restore_button = QPushButton(self.tr("選んだバックアップから復元…"))
        self.backup_button.clicked.connect(self._backup)
        self.restore_button.clicked.connect(self._restore)
        self.note = note = QLabel(
            self.tr(
                "毎日最初の起動時と、データベースの更新前に自動でバックアップします"
                "（毎日のものは直近14日分を保存）。別のドライブやネットワーク上のフォルダも指定できます。"
            )
        )
        note.setWordWrap(True)
        # The database: the one in use, and the one this PC opens next time (a file or a
        # PostgreSQL server; docs/postgresql.md).
        self.location_label = QLabel(services.location or "-")
        self.location_label.setWordWrap(True)
        self.location_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.connection_label = QLabel()
        self.connection_label.setWordWrap(True)
        self.connection_button = QPushButton(self.tr("この PC の接続先を変更…"))
        self.connection_button.clicked.connect(self._change_connection)
        self.connection_reset = QPushButton(self.tr("既定に戻す"))
        self.connection_reset.clicked.connect(self._reset_connection)
        self.connection_button.setEnabled(services.connection is not None)
        form = QFormLayout()
        form.addRow(self.tr("使用中のデータベース"), self.location_label)
        connection_row = QHBoxLayout()
        connection_row.addWidget(self.connection_label, 1)
        connection_row.addWidget(self.connection_button)
        connection_row.addWidget(self.connection_reset)
        form.addRow(self.tr("この PC の接続先"), connection_row)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.folder_button)
        form.addRow(self.tr("バックアップ先"), folder_row)
        form.addRow(self.tr("自動ロックまで"), self.idle_spin)
        buttons = QHBoxLayout()
        buttons.addWidget(self.backup_button)
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.refresh()

    def refresh(self) -> None:
        self._show_connection()
        service = self._services.backups()
        for widget in (self.folder_button, self.backup_button, self.restore_button):
            widget.setEnabled(service.available)
        self.table.setVisible(service.available)
        self.note.setVisible(service.available)  # the app's own backups are SQLite's
        if not service.available:
            self.folder_label.setText(
                self.tr(
                    "PostgreSQL のデータベースは、サーバー側で pg_dump によりバックアップします"
                    "（docs/postgresql.md）。"
                )
            )
            return
        self.folder_label.setText(str(service.folder))
        files = service.list()
        self.table.setRowCount(len(files))
        kinds = {
            "daily": self.tr("毎日"),
            "manual": self.tr("手動"),
            "pre-migration": self.tr("更新前"),
        }
        for row, backup in enumerate(files):
            values = [
                backup.created.strftime("%Y-%m-%d %H:%M"),
                kinds.get(backup.kind, backup.kind),
                f"{backup.size / 1_048_576:,.1f} MB",
                backup.path.name,
            ]
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, str(backup.path))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()

    def _show_connection(self) -> None:
        connection = self._services.connection
        saved = connection.saved() if connection is not None else None
        self.connection_label.setText(saved or self.tr("既定（この PC のデータベースファイル）"))
        self.connection_reset.setEnabled(saved is not None)

    def _change_connection(self) -> None:
        connection = self._services.connection
        if connection is None:
            return
        value, accepted = QInputDialog.getText(
            self,
            "consult-desk",
            self.tr(
                "次回の起動から使うデータベース:\n"
                "SQLite のファイルのパス、または PostgreSQL の URL\n"
                "（例: postgresql+psycopg://consult_desk@db-server/consult_desk）。\n"
                "パスワードは URL に書かず、パスワードファイル（pgpass）か環境変数 PGPASSWORD に"
                "置いてください。"
            ),
            text=connection.saved() or "",
        )
        if not accepted:
            return
        try:
            connection.save(value)
        except DomainError as error:
            _show_error(self, error)
            return
        self._show_connection()
        QMessageBox.information(
            self, "consult-desk", self.tr("次回の起動から、この接続先を使います。")
        )

    def _reset_connection(self) -> None:
        if self._services.connection is None:
            return
        try:
            self._services.connection.clear()
        except DomainError as error:
            _show_error(self, error)
        self._show_connection()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("バックアップ先のフォルダ"))
        if not folder:
            return
        try:
            self._services.settings.set_backup_folder(Path(folder))
        except DomainError as error:
            _show_error(self, error)
        self.refresh()

    def _save_idle(self) -> None:
        try:
            self._services.settings.set_idle_lock_minutes(self.idle_spin.value())
        except DomainError as error:
            _show_error(self, error)

    def _backup(self) -> None:
        try:
            path = self._services.backups().make("manual")
        except DomainError as error:
            _show_error(self, error)
            return
        self.refresh()
        QMessageBox.information(
            self, "consult-desk", self.tr("バックアップしました: {0}").format(path)
        )

    def _restore(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            QMessageBox.information(
                self, "consult-desk", self.tr("復元するバックアップを選んでください。")
            )
            return
        item = self.table.item(rows[0].row(), 0)
        assert item is not None
        path = Path(item.data(Qt.ItemDataRole.UserRole))
        answer = QMessageBox.question(
            self,
            "consult-desk",
            self.tr(
                "{0} の内容でデータベースを置き換えます。\n"
                "今のデータベースは別名で保存されます。復元後はアプリを終了します。"
                "よろしいですか？"
            ).format(path.name),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            kept = self._services.backups().restore(path)
        except DomainError as error:
            _show_error(self, error)
            return
        QMessageBox.information(
            self,
            "consult-desk",
            self.tr(
                "復元しました。置き換える前のデータベースは次の名前で保存してあります:\n{0}\n"
                "アプリを終了します。もう一度起動してください。"
            ).format(kept),
        )
        self.restored.emit()


class AuditTableModel(PagedTableModel[AuditRow]):
    TITLES = ("日時", "職員", "操作", "対象", "ID", "変更内容")

    def __init__(self, service: AuditLogService, parent: QObject | None = None) -> None:
        super().__init__(self.TITLES, parent)
        self._service = service
        self.query = AuditQuery()

    def reload(self, query: AuditQuery) -> None:
        def change() -> None:
            self.query = query

        self.reset_rows(change)

    def fetch_page(self, after: AuditRow | None, limit: int) -> list[AuditRow]:
        return self._service.page(self.query, after=after, limit=limit)

    def format_row(self, row: AuditRow) -> tuple[str, ...]:
        changes = "、".join(
            f"{field_label(k)}: {v[0]} → {v[1]}"
            if isinstance(v, list) and len(v) == 2
            else f"{field_label(k)}: {v}"
            for k, v in row.changes.items()
        )
        return (
            (row.occurred_at + JST).strftime("%Y-%m-%d %H:%M:%S"),
            row.staff_name,
            ACTION_LABELS.get(row.action, row.action),
            RECORD_KIND_LABELS.get(row.record_kind, row.record_kind),
            str(row.record_id or ""),
            changes[:200],
        )


class AuditTab(QWidget):
    def __init__(self, services: SettingsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.model = AuditTableModel(services.audit_log, self)
        today = japan_today()  # audit dates are Japan dates, whatever the PC's time zone
        self.from_edit = QDateEdit(QDate(today.year, today.month, today.day).addMonths(-1))
        self.to_edit = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.action_combo = QComboBox()
        self.action_combo.addItem(self.tr("操作: すべて"), None)
        for code, label in ACTION_LABELS.items():
            self.action_combo.addItem(label, code)
        self.count_label = QLabel()
        self.export_button = QPushButton(self.tr("CSVに出力…"))
        self.export_button.setEnabled(services.principal.can(Kind.AUDIT, Action.EXPORT))
        self.export_button.clicked.connect(self._export)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((170, 110, 150, 100, 60)):
            self.table.setColumnWidth(column, width)
        filters = QHBoxLayout()
        filters.addWidget(QLabel(self.tr("期間")))
        filters.addWidget(self.from_edit)
        filters.addWidget(QLabel("〜"))
        filters.addWidget(self.to_edit)
        filters.addWidget(self.action_combo)
        filters.addStretch(1)
        filters.addWidget(self.count_label)
        filters.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table)
        for signal in (
            self.from_edit.dateChanged,
            self.to_edit.dateChanged,
            self.action_combo.currentIndexChanged,
        ):
            signal.connect(self.refresh)
        self.refresh()

    def current_query(self) -> AuditQuery:
        return AuditQuery(
            date_from=_python_date(self.from_edit.date()),
            date_to=_python_date(self.to_edit.date()),
            action=self.action_combo.currentData(),
        )

    def refresh(self) -> None:
        query = self.current_query()
        self.model.reload(query)
        total = self._services.audit_log.count(query)
        self.count_label.setText(self.tr("{0} 件").format(f"{total:,}"))

    def _export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("監査ログの出力先"), "audit-log.csv", "CSV (*.csv)"
        )
        if not name:
            return
        try:
            rows = self._services.audit_log.export_csv(self.current_query(), Path(name))
        except (DomainError, OSError) as error:
            text = error_text(error) if isinstance(error, DomainError) else str(error)
            QMessageBox.warning(self, "consult-desk", text)
            return
        self.refresh()
        QMessageBox.information(
            self, "consult-desk", self.tr("{0} 件を出力しました。").format(f"{rows:,}")
        )


class TrashTab(QWidget):
    restored = Signal()

    def __init__(self, services: SettingsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.table = _table(
            [self.tr("削除日時"), self.tr("種類"), self.tr("内容"), self.tr("削除した人")]
        )
        self.restore_button = QPushButton(self.tr("選んだものを元に戻す"))
        self.restore_button.clicked.connect(self._restore)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.refresh()

    def refresh(self) -> None:
        self._items = self._services.history.trash()
        kinds = {"business": self.tr("事業者"), "consultation": self.tr("相談記録")}
        self.table.setRowCount(len(self._items))
        for row, item in enumerate(self._items):
            when = (item.deleted_at + JST).strftime("%Y-%m-%d %H:%M")
            for column, value in enumerate(
                [when, kinds.get(item.record_kind, item.record_kind), item.title, item.deleted_by]
            ):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()

    def _restore(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        item = self._items[rows[0].row()]
        try:
            self._services.history.restore_deleted(item.record_kind, item.record_id)
        except DomainError as error:
            _show_error(self, error)
        self.refresh()
        self.restored.emit()


class ReportSettingsTab(QWidget):
    """帳票: how printed reports show dates (和暦 or 西暦); saved as soon as it is chosen."""

    def __init__(self, settings: SettingsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.wareki_radio = QRadioButton(self.tr("和暦（例: 令和8年10月1日）(&W)"))
        self.western_radio = QRadioButton(self.tr("西暦（例: 2026/10/01）(&S)"))
        western = settings.western_dates()
        (self.western_radio if western else self.wareki_radio).setChecked(True)
        self.western_radio.toggled.connect(self._save)
        note = QLabel(
            self.tr(
                "PDF・Excel の帳票（月次報告、年度報告、事業者カルテ、施策別実績）の"
                "日付の書き方です。すべての端末の帳票に適用されます。画面の表示は和暦のままです。"
            )
        )
        note.setWordWrap(True)
        form = QFormLayout()
        choices = QVBoxLayout()
        choices.addWidget(self.wareki_radio)
        choices.addWidget(self.western_radio)
        form.addRow(self.tr("日付の表示"), choices)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addStretch(1)

    def _save(self, western: bool) -> None:
        try:
            self._settings.set_western_dates(western)
        except DomainError as error:
            _show_error(self, error)
            stored = self._settings.western_dates()
            self.western_radio.blockSignals(True)
            (self.western_radio if stored else self.wareki_radio).setChecked(True)
            self.western_radio.blockSignals(False)


class SettingsPage(QWidget):
    restored = Signal()  # a backup was restored: the app must close

    def __init__(self, services: SettingsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        principal = services.principal
        title = QLabel(self.tr("設定"))
        title.setObjectName("pageTitle")
        who = QLabel(
            self.tr("サインイン中: {0}（{1}）").format(
                principal.name, "・".join(r.label for r in sorted(principal.roles))
            )
        )
        self.tabs = QTabWidget()
        self.tabs.addTab(PasswordTab(services), self.tr("パスワード変更"))
        if principal.can(Kind.STAFF, Action.ADMINISTER):
            self.tabs.addTab(StaffTab(services), self.tr("職員"))
        if shows_loan_master(principal):
            self.loan_programs_tab = LoanProgramsTab(services.loan_master, principal)
            self.banks_tab = BanksTab(services.loan_master, principal)
            self.loan_deadlines_tab = LoanDeadlinesTab(services.settings, principal)
            self.tabs.addTab(self.loan_programs_tab, self.tr("資金種別・融資条件"))
            self.tabs.addTab(self.banks_tab, self.tr("金融機関"))
            self.tabs.addTab(self.loan_deadlines_tab, self.tr("案件の期限"))
        if services.dispatch is not None and shows_dispatch_master(principal):
            self.dispatch_programs_tab = DispatchProgramsTab(services.dispatch, principal)
            self.tabs.addTab(self.dispatch_programs_tab, self.tr("派遣制度"))
        if services.subsidies is not None and shows_subsidy_master(principal):
            initiatives = services.reference.initiatives() if services.reference else []
            self.subsidy_programs_tab = SubsidyProgramsTab(
                services.subsidies, principal, initiatives
            )
            self.tabs.addTab(self.subsidy_programs_tab, self.tr("補助金制度"))
        if principal.can(Kind.MASTER, Action.ADMINISTER):
            self.report_settings_tab = ReportSettingsTab(services.settings)
            self.tabs.addTab(self.report_settings_tab, self.tr("帳票"))
        if principal.can(Kind.BACKUP, Action.ADMINISTER):
            backups = BackupTab(services)
            backups.restored.connect(self.restored)
            self.tabs.addTab(backups, self.tr("バックアップ・自動ロック"))
        if principal.can(Kind.AUDIT, Action.READ):
            self.tabs.addTab(AuditTab(services), self.tr("監査ログ"))
        if principal.can(Kind.BUSINESS, Action.ADMINISTER):
            self.tabs.addTab(TrashTab(services), self.tr("ごみ箱"))
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(who)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

    def tab_titles(self) -> list[str]:
        return [self.tabs.tabText(i) for i in range(self.tabs.count())]
