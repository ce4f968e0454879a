"""The database as the user meets it: the connection in 設定, PostgreSQL's backups note, the
start-up messages for a PostgreSQL database behind this build, and the warning for an SQLite
file on a network share or in a synced folder."""

import json
from pathlib import Path
from typing import Any

import pytest

from PySide6.QtWidgets import QInputDialog, QMessageBox

from consult_desk import app as app_module
from consult_desk.config import DatabaseSetting, postgresql_guide
from consult_desk.db.engine import Database
from consult_desk.db.location import LocationWarning, Risk
from consult_desk.domain.errors import SchemaError, StorageError
from consult_desk.domain.permissions import Principal
from consult_desk.services.backups import BackupService
from consult_desk.ui.pages.settings import BackupTab

PG_URL = "postgresql+psycopg://consult_desk@db-server:5432/consult_desk"


@pytest.fixture
def setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DatabaseSetting:
    path = tmp_path / "config.json"
    monkeypatch.setenv("CONSULT_DESK_CONFIG", str(path))
    return DatabaseSetting()


def _backup_tab(qtbot: Any, db: Database, admin: Principal, setting: DatabaseSetting) -> BackupTab:
    window = app_module.build_window(db, admin)
    qtbot.addWidget(window)
    tab = next(
        window.settings_page.tabs.widget(i)
        for i in range(window.settings_page.tabs.count())
        if isinstance(window.settings_page.tabs.widget(i), BackupTab)
    )
    assert isinstance(tab, BackupTab)
    return tab


def test_the_connection_for_the_next_start_is_saved_without_a_password(
    qtbot: Any,
    db: Database,
    admin: Principal,
    setting: DatabaseSetting,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tab = _backup_tab(qtbot, db, admin, setting)
    assert tab.connection_label.text() == "既定（この PC のデータベースファイル）"
    assert not tab.connection_reset.isEnabled()
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    typed = iter([PG_URL.replace("consult_desk@", "consult_desk:secret@"), PG_URL])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (next(typed), True))

    tab.connection_button.click()  # a password in the URL: refused, nothing saved

    assert warnings and "パスワードを含む接続先は保存できません" in warnings[0]
    assert not setting.path.exists()

    tab.connection_button.click()

    assert json.loads(setting.path.read_text(encoding="utf-8")) == {"database": PG_URL}
    assert tab.connection_label.text() == PG_URL
    assert tab.connection_reset.isEnabled()

    tab.connection_reset.click()

    assert setting.saved() is None
    assert tab.connection_label.text() == "既定（この PC のデータベースファイル）"


def test_the_database_in_use_is_shown(
    qtbot: Any, db: Database, admin: Principal, setting: DatabaseSetting
) -> None:
    tab = _backup_tab(qtbot, db, admin, setting)

    shown = tab.location_label.text()

    assert shown and shown in (str(db.engine.url.database), db.engine.url.render_as_string())
    assert "secret" not in shown


def test_postgresql_backups_are_left_to_the_server(
    qtbot: Any,
    db: Database,
    admin: Principal,
    setting: DatabaseSetting,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    server = Database(PG_URL)  # never connected: the tab needs no query for this
    monkeypatch.setattr(
        app_module, "backup_service", lambda _db, principal: BackupService(server, principal)
    )
    tab = _backup_tab(qtbot, db, admin, setting)

    assert "pg_dump" in tab.folder_label.text()
    assert not tab.backup_button.isEnabled()
    assert not tab.restore_button.isEnabled()
    assert not tab.folder_button.isEnabled()
    assert tab.table.isHidden() and tab.note.isHidden()
    tab.resize(900, 420)
    tab.grab().save(str(tmp_path / "backup-tab-postgresql.png"))
    server.dispose()


def test_a_postgresql_database_behind_this_build_names_the_revisions_and_the_guide(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pending = "0008: text search on PostgreSQL: pg_trgm GIN indexes"

    def behind(url: str) -> Database:
        raise SchemaError("schema.needs_upgrade", pending)

    shown: list[str] = []
    monkeypatch.setattr(app_module, "open_database", behind)
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: shown.append(text))

    assert app_module.run_gui(PG_URL) == 1

    [text] = shown
    assert "自動では行いません" in text and "pg_dump" in text
    assert pending in text
    guide = postgresql_guide()
    assert guide is not None and guide.name == "postgresql.md"
    assert f'<a href="file://{guide.as_posix()}">' in text


def test_a_server_that_refuses_the_login_is_named_without_the_password() -> None:
    text = app_module.start_failure_text(
        StorageError("storage.server_login"),
        PG_URL.replace("consult_desk@", "consult_desk:secret@"),
    )

    assert "ログインに失敗しました" in text
    assert "db-server:5432/consult_desk" in text
    assert "secret" not in text
    assert "postgresql.md" in text


@pytest.mark.parametrize(
    ("risk", "words"), [(Risk.NETWORK, "共有フォルダ"), (Risk.SYNCED, "同期フォルダ")]
)
def test_an_sqlite_file_in_a_risky_place_is_warned_about_with_the_guide(
    db: Database, monkeypatch: pytest.MonkeyPatch, risk: Risk, words: str
) -> None:
    if db.dialect != "sqlite":
        pytest.skip("about SQLite files")
    checked: list[Path] = []

    def check(path: Path) -> LocationWarning:
        checked.append(path)
        return LocationWarning(risk, "OneDrive")

    shown: list[str] = []
    monkeypatch.setattr(app_module, "check_location", check)
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))

    assert app_module.warn_about_location(db) is True

    assert checked == [Path(db.engine.url.database or "")]
    [text] = shown
    assert words in text and "PostgreSQL" in text and "postgresql.md</a>" in text


def test_a_file_on_a_local_disk_gets_no_warning(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))

    assert app_module.warn_about_location(db) is False
    assert shown == []
