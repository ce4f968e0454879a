"""Where the database lives: --db, then CONSULT_DESK_DB, then this PC's saved connection
(設定; a small JSON file in the user's config folder), then the user's data folder.

A saved connection never holds a password: PostgreSQL's client library reads it from the
password file (``~/.pgpass``, ``%APPDATA%\\postgresql\\pgpass.conf``) or ``PGPASSWORD``.
"""

from __future__ import annotations

import importlib.resources
import json
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from platformdirs import user_config_path, user_data_path, user_log_path

from consult_desk.domain.errors import StorageError

APP_NAME = "consult-desk"
ENV_DB = "CONSULT_DESK_DB"
ENV_PASSWORD = "CONSULT_DESK_PASSWORD"
ENV_CONFIG = "CONSULT_DESK_CONFIG"  # another settings file (tests, several set-ups)


def default_database_path() -> Path:
    return user_data_path(APP_NAME, appauthor=False) / "consult-desk.sqlite"


def log_folder() -> Path:
    return user_log_path(APP_NAME, appauthor=False)


def config_path() -> Path:
    if given := os.environ.get(ENV_CONFIG):
        return Path(given)
    return user_config_path(APP_NAME, appauthor=False) / "config.json"


def database_url(given: str | None = None) -> str:
    """A SQLAlchemy URL from a path or URL; a plain path means an SQLite file."""
    value = (
        given or os.environ.get(ENV_DB) or DatabaseSetting().saved() or str(default_database_path())
    )
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def has_password(value: str) -> bool:
    """Whether a database URL carries a password (in its user part or its query)."""
    if "://" not in value:
        return False
    parts = urlsplit(value)
    try:
        password = parts.password
    except ValueError:  # a malformed port: no password to find
        password = None
    query = {key.lower() for key in parse_qs(parts.query)}
    return bool(password) or "password" in query


class DatabaseSetting:
    """This PC's saved database (a path or URL), used when neither --db nor CONSULT_DESK_DB
    is given. Saved as JSON; a URL with a password is refused."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_path()

    def _read(self) -> dict[str, object]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def saved(self) -> str | None:
        value = self._read().get("database")
        return value.strip() if isinstance(value, str) and value.strip() else None

    def save(self, value: str) -> None:
        value = value.strip()
        if not value:
            raise StorageError("config.database_blank")
        if has_password(value):
            raise StorageError("config.password_in_url")
        self._write({**self._read(), "database": value})

    def clear(self) -> None:
        data = self._read()
        data.pop("database", None)
        self._write(data)

    def _write(self, data: dict[str, object]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(self.path.name + ".tmp")
            temporary.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as exc:
            raise StorageError("config.unwritable", str(self.path)) from exc


def postgresql_guide() -> Path | None:
    """The PostgreSQL set-up guide: the copy inside the package, else the checkout's."""
    package = Path(str(importlib.resources.files("consult_desk")))
    for candidate in (
        package / "docs" / "postgresql.md",
        package.parent / "docs" / "postgresql.md",
    ):
        if candidate.is_file():
            return candidate
    return None
