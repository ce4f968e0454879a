"""Unsaved form input kept on disk, so a dialog closed by accident (or a crash) loses nothing.

One small JSON file per form and person, readable by its owner only; removed when the record
is saved or the user discards the input.
"""

import json
import os
from pathlib import Path
from typing import Any

from platformdirs import user_data_path


class DraftStore:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or user_data_path("consult-desk", appauthor=False) / "drafts"

    def _path(self, key: str) -> Path:
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in key)
        return self.folder / f"{safe}.json"

    def save(self, key: str, values: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        path = self._path(key)
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(values, out, ensure_ascii=False)
        os.replace(temporary, path)

    def load(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def discard(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
