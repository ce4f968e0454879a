"""Rotating log files in the user's log folder, with no personal data and no passwords.

Log lines name records and staff by id only; names, addresses and notes never go to the log.
"""

import logging
import logging.handlers
import os
from pathlib import Path

MAX_BYTES = 1_000_000
BACKUPS = 5


def configure_logging(folder: Path, level: int = logging.INFO) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / "consult-desk.log"
    os.close(os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        root.addHandler(handler)
    root.setLevel(level)
    # SQLAlchemy would log statements with their parameters (personal data) at INFO.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    return path
