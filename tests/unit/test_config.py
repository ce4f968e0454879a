"""Which database the app opens, and this PC's saved connection (never with a password)."""

import json
from pathlib import Path

import pytest

from consult_desk.config import DatabaseSetting, database_url, has_password
from consult_desk.domain.errors import StorageError

PG = "postgresql+psycopg://consult_desk@db-server:5432/consult_desk"


@pytest.fixture
def setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DatabaseSetting:
    monkeypatch.setenv("CONSULT_DESK_CONFIG", str(tmp_path / "config.json"))
    monkeypatch.delenv("CONSULT_DESK_DB", raising=False)
    return DatabaseSetting()


def test_the_given_database_then_the_environment_then_the_saved_one(
    setting: DatabaseSetting, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    default = database_url()
    assert default.startswith("sqlite:///") and default.endswith("consult-desk.sqlite")

    setting.save(PG)
    assert database_url() == PG

    monkeypatch.setenv("CONSULT_DESK_DB", str(tmp_path / "env.sqlite"))
    assert database_url() == f"sqlite:///{tmp_path / 'env.sqlite'}"

    assert database_url(str(tmp_path / "given.sqlite")) == f"sqlite:///{tmp_path / 'given.sqlite'}"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://consult_desk:secret@db-server/consult_desk",
        "postgresql://u:p@h/db",
        "postgresql+psycopg://consult_desk@db-server/consult_desk?password=secret",
        "postgresql+psycopg://consult_desk@db-server/consult_desk?sslmode=require&PASSWORD=x",
    ],
)
def test_a_password_is_never_written_to_the_file(setting: DatabaseSetting, url: str) -> None:
    assert has_password(url)
    with pytest.raises(StorageError) as raised:
        setting.save(url)
    assert raised.value.code == "config.password_in_url"
    assert not setting.path.exists()


@pytest.mark.parametrize(
    "url",
    [
        PG,
        "postgresql+psycopg://consult_desk@db-server/consult_desk?sslmode=verify-full",
        r"C:\consult-desk\desk.sqlite",
        "/home/sato/desk.sqlite",
    ],
)
def test_urls_without_a_password_and_paths_are_saved(setting: DatabaseSetting, url: str) -> None:
    assert not has_password(url)
    setting.save(f"  {url} ")
    assert setting.saved() == url
    assert json.loads(setting.path.read_text(encoding="utf-8")) == {"database": url}


def test_blank_is_refused_and_clearing_keeps_other_settings(setting: DatabaseSetting) -> None:
    with pytest.raises(StorageError) as raised:
        setting.save("   ")
    assert raised.value.code == "config.database_blank"
    setting.path.write_text(json.dumps({"database": PG, "other": 1}), encoding="utf-8")

    setting.clear()

    assert setting.saved() is None
    assert json.loads(setting.path.read_text(encoding="utf-8")) == {"other": 1}


def test_a_damaged_file_means_no_saved_database(setting: DatabaseSetting) -> None:
    setting.path.write_text("{not json", encoding="utf-8")
    assert setting.saved() is None
    setting.path.write_text(json.dumps(["a list"]), encoding="utf-8")
    assert setting.saved() is None


def test_an_unwritable_place_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    setting = DatabaseSetting(blocker / "config.json")  # a folder that is a file

    with pytest.raises(StorageError) as raised:
        setting.save(PG)

    assert raised.value.code == "config.unwritable"
