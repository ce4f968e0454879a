"""Where the database lives: --db, then CONSULT_DESK_DB, then the user's data folder."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path, user_log_path

APP_NAME = "consult-desk"
ENV_DB = "CONSULT_DESK_DB"
ENV_PASSWORD = "CONSULT_DESK_PASSWORD"


def default_database_path() -> Path:
    return user_data_path(APP_NAME, appauthor=False) / "consult-desk.sqlite"


def log_folder() -> Path:
    return user_log_path(APP_NAME, appauthor=False)


def database_url(given: str | None = None) -> str:
    """A SQLAlchemy URL from a path or URL; a plain path means an SQLite file."""
    value = given or os.environ.get(ENV_DB) or str(default_database_path())
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"
