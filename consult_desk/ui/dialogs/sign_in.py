"""Sign-in, and the first administrator of a new database."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import DomainError
from consult_desk.domain.permissions import Principal, Role
from consult_desk.services.staff import NewStaff, StaffService
from consult_desk.ui.messages import error_text


def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class SignInDialog(QDialog):
    """Asks for login and password until they are right or the user cancels."""

    def __init__(self, staff: StaffService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("consult-desk にサインイン"))
        self._staff = staff
        self.principal: Principal | None = None
        self.login_edit = QLineEdit()
        self.password_edit = _password_edit()
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("サインイン"))
        self.buttons.accepted.connect(self._try)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(self.tr("ログイン名"), self.login_edit)
        form.addRow(self.tr("パスワード"), self.password_edit)
        layout = QVBoxLayout(self)
        heading = QLabel(self.tr("千代田区 中小企業支援 相談・案件管理"))
        heading.setObjectName("pageTitle")
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def _try(self) -> None:
        try:
            self.principal = self._staff.sign_in(self.login_edit.text(), self.password_edit.text())
        except DomainError as error:
            self.error_label.setText(error_text(error))
            self.password_edit.clear()
            self.password_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.accept()


class FirstAdminDialog(QDialog):
    """A new database has no accounts: register the first administrator."""

    def __init__(self, staff: StaffService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("最初の管理者を登録"))
        self._staff = staff
        self.principal: Principal | None = None
        self.login_edit = QLineEdit()
        self.name_edit = QLineEdit()
        self.kana_edit = QLineEdit()
        self.password_edit = _password_edit()
        self.repeat_edit = _password_edit()
        self.also_consultant = QCheckBox(self.tr("相談員も兼ねる"))
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.setWordWrap(True)
        intro = QLabel(
            self.tr(
                "このデータベースにはまだ職員が登録されていません。\n"
                "最初に管理者を登録してください。管理者は他の職員の登録、"
                "バックアップと復元を行えます。"
            )
        )
        intro.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("ログイン名（半角英数字）"), self.login_edit)
        form.addRow(self.tr("氏名"), self.name_edit)
        form.addRow(self.tr("フリガナ"), self.kana_edit)
        form.addRow(self.tr("パスワード（10文字以上）"), self.password_edit)
        form.addRow(self.tr("パスワード（確認）"), self.repeat_edit)
        form.addRow("", self.also_consultant)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)

    def _save(self) -> None:
        if self.password_edit.text() != self.repeat_edit.text():
            self.error_label.setText(self.tr("確認用のパスワードが一致しません。"))
            return
        roles = (Role.ADMIN, Role.CONSULTANT) if self.also_consultant.isChecked() else (Role.ADMIN,)
        try:
            self.principal = self._staff.add_first_admin(
                NewStaff(
                    login=self.login_edit.text(),
                    name=self.name_edit.text(),
                    name_kana=self.kana_edit.text(),
                    roles=roles,
                    password=self.password_edit.text(),
                )
            )
        except DomainError as error:
            self.error_label.setText(error_text(error))
            return
        self.accept()
