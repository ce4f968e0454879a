"""Errors the user can fix: lower layers raise codes, the UI turns them into Japanese."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str  # attribute name in the input dataclass
    code: str  # stable key, e.g. "required", "corporate_number.check_digit"


class DomainError(Exception):
    """An expected problem the user can fix; shown as a message, never a crash."""

    code = "error"


class ValidationError(DomainError):
    code = "validation"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(", ".join(f"{e.field}:{e.code}" for e in errors))
        self.errors = errors

    def codes(self) -> dict[str, str]:
        return {e.field: e.code for e in self.errors}


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """Someone else saved the record after it was read: the caller keeps the user's input."""

    code = "conflict"


class StorageError(DomainError):
    """The database could not be written (locked, disk full, read-only); nothing was lost."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


class SchemaError(DomainError):
    """The database file's schema is not one this build can open."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
