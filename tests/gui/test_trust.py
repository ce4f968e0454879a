"""Sign-in, the first administrator, the idle lock and what each role gets to see."""

from pathlib import Path

import pytest
from argon2 import PasswordHasher

from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit, QWidget

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.domain.permissions import Principal, Role
from consult_desk.services.staff import NewStaff, StaffService
from consult_desk.ui.dialogs.consultation_dialog import ConsultationDialog
from consult_desk.ui.dialogs.sign_in import FirstAdminDialog, SignInDialog
from consult_desk.ui.idle_lock import IdleLock
from tests.gui.helpers import commit_text

pytestmark = pytest.mark.gui
PASSWORD = "kanda-2026-spring"


@pytest.fixture
def staff(db: Database, fast_hasher: PasswordHasher) -> StaffService:
    service = StaffService(db, fast_hasher)
    admin = service.add_first_admin(NewStaff("takahashi", "高橋 誠", (Role.ADMIN,), PASSWORD))
    for login, name, role in [
        ("sato", "佐藤 花子", Role.CONSULTANT),
        ("kobayashi", "小林 直樹", Role.AUDITOR),
        ("tanaka", "田中 健", Role.LOAN_OFFICER),
    ]:
        service.add(admin, NewStaff(login, name, (role,), f"{role.value}-password-1"))
    return service


def test_sign_in_with_the_right_password(qtbot, staff: StaffService) -> None:
    dialog = SignInDialog(staff)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.login_edit, "takahashi")
    qtbot.keyClicks(dialog.password_edit, PASSWORD)

    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    assert dialog.principal is not None and dialog.principal.login == "takahashi"
    assert dialog.result() == dialog.DialogCode.Accepted


def test_wrong_password_shows_a_message_and_stays_open(qtbot, staff: StaffService) -> None:
    dialog = SignInDialog(staff)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.login_edit, "takahashi")
    qtbot.keyClicks(dialog.password_edit, "wrong-password")

    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    assert dialog.principal is None
    assert dialog.isVisible()
    assert "ログイン名またはパスワードが違います" in dialog.error_label.text()
    assert dialog.password_edit.text() == ""


def test_first_administrator_wizard(qtbot, db: Database, fast_hasher: PasswordHasher) -> None:
    service = StaffService(db, fast_hasher)
    dialog = FirstAdminDialog(service)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.login_edit, "takahashi")
    commit_text(dialog.name_edit, "高橋 誠")
    qtbot.keyClicks(dialog.password_edit, PASSWORD)
    qtbot.keyClicks(dialog.repeat_edit, PASSWORD + "x")
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)

    save.click()
    assert "一致しません" in dialog.error_label.text()
    assert not service.has_accounts()

    dialog.repeat_edit.clear()
    qtbot.keyClicks(dialog.repeat_edit, PASSWORD)
    save.click()

    assert dialog.principal is not None and Role.ADMIN in dialog.principal.roles
    assert service.sign_in("takahashi", PASSWORD).name == "高橋 誠"


def test_idle_lock_hides_windows_and_keeps_half_typed_input(
    qtbot, db: Database, staff: StaffService, tmp_path: Path
) -> None:
    admin = staff.sign_in("takahashi", PASSWORD)
    window = app_module.build_window(db, admin)
    qtbot.addWidget(window)
    window.show()
    services = window._services
    half_typed = ConsultationDialog(  # a consultation someone was in the middle of logging
        services.consultations,
        services.businesses,
        services.reference,
        admin,
        services.drafts,
        parent=window,
    )
    qtbot.addWidget(half_typed)
    half_typed.show()
    commit_text(half_typed.summary_edit, "資金繰りの相談、途中まで")
    lock = IdleLock(admin, lambda pw: staff.verify_password(admin, pw), minutes=15)

    lock.lock()

    assert not window.isVisible() and not half_typed.isVisible()
    assert lock.dialog is not None and lock.dialog.isVisible()
    qtbot.keyClicks(lock.dialog.password_edit, "wrong-password")
    lock.dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert lock.is_locked and "違います" in lock.dialog.error_label.text()

    qtbot.keyClicks(lock.dialog.password_edit, PASSWORD)
    lock.dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    assert not lock.is_locked
    assert window.isVisible() and half_typed.isVisible()
    assert half_typed.summary_edit.toPlainText() == "資金繰りの相談、途中まで"
    QApplication.instance().removeEventFilter(lock)


def test_idle_timer_restarts_on_input(qtbot, staff: StaffService) -> None:
    admin = staff.sign_in("takahashi", PASSWORD)
    lock = IdleLock(admin, lambda pw: False, minutes=1)
    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.show()
    lock.timer.stop()
    assert not lock.timer.isActive()

    qtbot.keyClicks(edit, "a")

    assert lock.timer.isActive()
    assert lock.timer.remainingTime() > 50_000  # a full minute again
    QApplication.instance().removeEventFilter(lock)


def _pages(window: QWidget) -> list[str]:
    navigation = window.navigation  # type: ignore[attr-defined]
    return [navigation.item(i).text() for i in range(navigation.count())]


@pytest.mark.parametrize(
    ("login", "password", "pages", "tabs"),
    [
        (
            "sato",
            "consultant-password-1",
            [
                "ダッシュボード",
                "事業者",
                "相談記録",
                "融資あっせん",
                "専門家派遣",
                "商店街支援",
                "施策",
                "帳票",
                "設定",
            ],
            ["パスワード変更", "派遣制度", "補助金制度"],
        ),
        (
            "kobayashi",
            "auditor-password-1",
            [
                "ダッシュボード",
                "事業者",
                "相談記録",
                "融資あっせん",
                "専門家派遣",
                "商店街支援",
                "施策",
                "帳票",
                "設定",
            ],
            [
                "パスワード変更",
                "資金種別・融資条件",
                "金融機関",
                "案件の期限",
                "派遣制度",
                "補助金制度",
                "監査ログ",
            ],
        ),
        (
            "takahashi",
            PASSWORD,
            None,
            [
                "パスワード変更",
                "職員",
                "資金種別・融資条件",
                "金融機関",
                "案件の期限",
                "派遣制度",
                "補助金制度",
                "帳票",
                "バックアップ・自動ロック",
                "監査ログ",
                "ごみ箱",
            ],
        ),
    ],
)
def test_each_role_gets_only_its_pages_and_tabs(
    qtbot,
    db: Database,
    staff: StaffService,
    login: str,
    password: str,
    pages: list[str] | None,
    tabs: list[str],
) -> None:
    principal: Principal = staff.sign_in(login, password)
    window = app_module.build_window(db, principal)
    qtbot.addWidget(window)

    if pages is not None:
        assert _pages(window) == pages
    assert window.settings_page.tab_titles() == tabs


def test_a_role_without_business_reading_gets_no_business_page(qtbot, db: Database) -> None:
    nobody = Principal(None, "x", "権限なし", frozenset())
    window = app_module.build_window(db, nobody)
    qtbot.addWidget(window)

    assert "事業者" not in _pages(window)
    assert window.settings_page.tab_titles() == ["パスワード変更"]
