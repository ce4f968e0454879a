"""Settings shared by every PC that uses this database (kept in the app_setting table)."""

from __future__ import annotations

import json
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
LOAN_OVERDUE_KEY = "loan_overdue_days"
# Days a loan case may stay in a waiting state before the pipeline marks it overdue.
DEFAULT_LOAN_OVERDUE_DAYS: dict[str, int] = {
    "REFERRAL_ISSUED": 14,
    "BANK_REVIEW": 14,
    "CGC_REVIEW": 21,
    "WARD_REVIEW": 7,
    "ON_HOLD": 14,
}
LOAN_OVERDUE_RANGE = (1, 365)
WESTERN_DATES_KEY = "report_western_dates"  # "1": reports show 西暦 dates instead of 和暦


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

    def western_dates(self) -> bool:
        """Whether printed reports show dates in 西暦 (default: 和暦)."""
        self._principal.require(Kind.MASTER, Action.READ)
        return self._get(WESTERN_DATES_KEY) == "1"

    def set_western_dates(self, western: bool) -> None:
        self._set(WESTERN_DATES_KEY, "1" if western else "0")

    def loan_overdue_days(self) -> dict[str, int]:
        """Days per loan status before a case counts as overdue (defaults where unset)."""
        self._principal.require(Kind.MASTER, Action.READ)
        days = dict(DEFAULT_LOAN_OVERDUE_DAYS)
        try:
            stored = json.loads(self._get(LOAN_OVERDUE_KEY) or "{}")
        except ValueError:
            stored = {}
        if isinstance(stored, dict):
            low, high = LOAN_OVERDUE_RANGE
            # A value outside today's rules (edited by hand, older build) falls back quietly.
            days.update(
                (code, value)
                for code, value in stored.items()
                if code in days and type(value) is int and low <= value <= high
            )
        return days

    def set_loan_overdue_days(self, days: dict[str, int]) -> None:
        """Change some or all thresholds; statuses not given keep their current value."""
        self._principal.require(Kind.MASTER, Action.ADMINISTER)
        low, high = LOAN_OVERDUE_RANGE
        errors = []
        for code, value in days.items():
            if code not in DEFAULT_LOAN_OVERDUE_DAYS:
                errors.append(FieldError("loan_overdue_days", "invalid_choice"))
            elif type(value) is not int or not low <= value <= high:  # bool is no day count
                errors.append(FieldError("loan_overdue_days", "setting.overdue_range"))
        if errors:
            raise ValidationError(errors)
        merged = {**self.loan_overdue_days(), **days}
        self._set(LOAN_OVERDUE_KEY, json.dumps(merged, sort_keys=True))
