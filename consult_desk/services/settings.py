"""Settings shared by every PC that uses this database (kept in the app_setting table)."""

from __future__ import annotations

from pathlib import Path

from consult_desk.db.engine import Database
from consult_desk.db.models import AppSetting
from consult_desk.domain.errors import FieldError, ValidationError
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services import audit

IDLE_LOCK_KEY = "idle_lock_minutes"
BACKUP_FOLDER_KEY = "backup_folder"
DEFAULT_IDLE_MINUTES = 15
IDLE_MINUTES_RANGE = (1, 240)


class SettingsService:
    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal

    def _get(self, key: str) -> str | None:
        with self._db.read() as session:
            setting = session.get(AppSetting, key)
            return setting.value if setting else None

    def _set(self, key: str, value: str) -> None:
        self._principal.require(Kind.MASTER, Action.ADMINISTER)
        with self._db.write() as session:
            setting = session.get(AppSetting, key)
            before = setting.value if setting else None
            if setting is None:
                session.add(AppSetting(key=key, value=value))
            else:
                setting.value = value
            audit.record(
                session, self._principal.staff_id, "update", "setting", None, {key: [before, value]}
            )

    def idle_lock_minutes(self) -> int:
        value = self._get(IDLE_LOCK_KEY)
        return int(value) if value and value.isdigit() else DEFAULT_IDLE_MINUTES

    def set_idle_lock_minutes(self, minutes: int) -> None:
        low, high = IDLE_MINUTES_RANGE
        if not low <= minutes <= high:
            raise ValidationError([FieldError("idle_lock_minutes", "setting.idle_range")])
        self._set(IDLE_LOCK_KEY, str(minutes))

    def backup_folder(self) -> Path | None:
        value = self._get(BACKUP_FOLDER_KEY)
        return Path(value) if value else None

    def set_backup_folder(self, folder: Path | None) -> None:
        if folder is not None and not folder.is_absolute():
            raise ValidationError([FieldError("backup_folder", "setting.folder_absolute")])
        self._set(BACKUP_FOLDER_KEY, str(folder) if folder else "")
