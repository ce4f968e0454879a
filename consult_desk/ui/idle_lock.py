"""The idle lock: after a quiet spell every window is hidden until the password is given.

Windows are hidden, not closed, so whatever the user had half-typed is still there afterwards.
"""

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.permissions import Principal

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.InputMethod,
}


class LockDialog(QDialog):
    def __init__(
        self, principal: Principal, verify: Callable[[str], bool], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("画面ロック"))
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        self._verify = verify
        message = QLabel(
            self.tr(
                "しばらく操作がなかったため画面をロックしました。\n"
                "{0} さんのパスワードを入力してください。入力中の内容は残っています。"
            ).format(principal.name)
        )
        message.setWordWrap(True)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #b00020;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("ロック解除"))
        self.buttons.accepted.connect(self._try)
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addWidget(self.password_edit)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def _try(self) -> None:
        if self._verify(self.password_edit.text()):
            self.accept()
            return
        self.password_edit.clear()
        self.error_label.setText(self.tr("パスワードが違います。"))

    def reject(self) -> None:  # Esc must not unlock
        pass


class IdleLock(QObject):
    """Watches the application's input; locks after ``minutes`` without any."""

    locked = Signal()
    unlocked = Signal()

    def __init__(
        self,
        principal: Principal,
        verify: Callable[[str], bool],
        minutes: int,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._principal = principal
        self._verify = verify
        self._hidden: list[QWidget] = []
        self.dialog: LockDialog | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(minutes * 60_000)
        self.timer.timeout.connect(self.lock)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.timer.start()

    @property
    def is_locked(self) -> bool:
        return self.dialog is not None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and not self.is_locked:
            self.timer.start()
        return False

    def lock(self) -> None:
        if self.is_locked:
            return
        self._hidden = [
            w for w in QApplication.topLevelWidgets() if w.isVisible() and not w.isHidden()
        ]
        for widget in self._hidden:
            widget.hide()
        self.dialog = LockDialog(self._principal, self._verify)
        self.dialog.accepted.connect(self.unlock)
        self.dialog.show()
        self.locked.emit()

    def unlock(self) -> None:
        for widget in self._hidden:
            widget.show()
        self._hidden = []
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None
        self.timer.start()
        self.unlocked.emit()
