"""Businesses: input values, their field rules, list rows and list queries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from consult_desk.domain.corporate_number import corporate_number_error, normalize_corporate_number
from consult_desk.domain.errors import FieldError
from consult_desk.domain.fiscal import japan_today
from consult_desk.domain.sme import SmeCategory, SmeStatus
from consult_desk.domain.text import digits_only, normalize


class BusinessKind(StrEnum):
    CORPORATION = "corporation"
    SOLE_PROPRIETOR = "sole_proprietor"
    PROSPECTIVE = "prospective"

    @property
    def label(self) -> str:
        return {
            "corporation": "法人",
            "sole_proprietor": "個人事業主",
            "prospective": "創業予定者",
        }[self.value]


class Area(StrEnum):
    KOJIMACHI = "麹町地域"
    KANDA = "神田地域"
    OUTSIDE = "区外"
    UNSET = "未設定"


class Residence(StrEnum):
    """代表者区分: whether the representative lives in the ward."""

    RESIDENT = "resident"
    GENERAL = "general"

    @property
    def label(self) -> str:
        return "区民" if self is Residence.RESIDENT else "一般"


# Postal codes of Chiyoda begin with these; large buildings have codes of their own, so a code
# that is not any town's is accepted as long as it is in the ward's range.
CHIYODA_POSTAL_PREFIXES = ("100", "101", "102")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_TEXT = 200
# The longest value each text field may hold (the columns' sizes).
MAX_LENGTHS = {
    "name": 200,
    "name_kana": 200,
    "address": 300,
    "phone": 30,
    "email": 200,
    "representative_name": 100,
    "representative_address": 300,
    "representative_phone": 30,
    "chokai_name": 100,
}
MAX_YEN = 10**15  # far above any business's capital, far below the column's limit
MAX_EMPLOYEES = 10_000_000


@dataclass(frozen=True, slots=True)
class BusinessInput:
    """What a user enters for a business; the service normalises and validates it."""

    name: str
    kind: str = BusinessKind.CORPORATION
    name_kana: str = ""
    corporate_number: str = ""
    jsic_major: str | None = None
    sme_category: str | None = None  # None: derive from the JSIC 大分類
    postal_code: str = ""
    town_id: int | None = None
    area: str | None = None  # None: the town's area, else 未設定
    address: str = ""
    phone: str = ""
    email: str = ""
    representative_name: str = ""
    representative_residence: str | None = None
    representative_address: str = ""
    representative_phone: str = ""
    capital: int | None = None
    employees: int | None = None
    founded_on: date | None = None
    in_ward_since: date | None = None
    chokai_name: str = ""
    street_association_id: int | None = None
    summary: str = ""

    def normalized(self) -> BusinessInput:
        return replace(
            self,
            name=normalize(self.name),
            name_kana=normalize(self.name_kana),
            corporate_number=normalize_corporate_number(self.corporate_number)
            if self.corporate_number.strip()
            else "",
            postal_code=digits_only(self.postal_code),
            address=normalize(self.address),
            phone=normalize(self.phone),
            email=normalize(self.email),
            representative_name=normalize(self.representative_name),
            representative_address=normalize(self.representative_address),
            representative_phone=normalize(self.representative_phone),
            chokai_name=normalize(self.chokai_name),
            summary=self.summary.strip(),
        )

    def errors(self, today: date | None = None) -> list[FieldError]:
        """Field rules that need no database; call on the normalised value."""
        today = today or japan_today()
        found: list[FieldError] = []
        if not self.name:
            found.append(FieldError("name", "required"))
        found += [
            FieldError(name, "too_long")
            for name, limit in MAX_LENGTHS.items()
            if len(getattr(self, name)) > limit
        ]
        if self.kind not in set(BusinessKind):
            found.append(FieldError("kind", "invalid_choice"))
        if self.corporate_number:
            if self.kind == BusinessKind.SOLE_PROPRIETOR:
                found.append(FieldError("corporate_number", "corporate_number.not_for_sole"))
            elif code := corporate_number_error(self.corporate_number):
                found.append(FieldError("corporate_number", code))
        if self.sme_category is not None and self.sme_category not in set(SmeCategory):
            found.append(FieldError("sme_category", "invalid_choice"))
        if self.postal_code and not re.fullmatch(r"[0-9]{7}", self.postal_code):
            found.append(FieldError("postal_code", "postal_code.format"))
        if self.area is not None and self.area not in set(Area):
            found.append(FieldError("area", "invalid_choice"))
        if self.email and not _EMAIL.fullmatch(self.email):
            found.append(FieldError("email", "email.format"))
        if self.representative_residence is not None and self.representative_residence not in set(
            Residence
        ):
            found.append(FieldError("representative_residence", "invalid_choice"))
        if self.capital is not None and self.capital < 0:
            found.append(FieldError("capital", "negative"))
        elif self.capital is not None and self.capital > MAX_YEN:
            found.append(FieldError("capital", "too_large"))
        if self.employees is not None and self.employees < 0:
            found.append(FieldError("employees", "negative"))
        elif self.employees is not None and self.employees > MAX_EMPLOYEES:
            found.append(FieldError("employees", "too_large"))
        if self.founded_on is not None and self.founded_on > today:
            found.append(FieldError("founded_on", "date.future"))
        if self.in_ward_since is not None and self.in_ward_since > today:
            found.append(FieldError("in_ward_since", "date.future"))
        return found


def format_postal_code(postal_code: str) -> str:
    """1010054 → 〒101-0054 (stored as seven digits, shown as people write it)."""
    if len(postal_code) == 7 and postal_code.isdigit():
        return f"〒{postal_code[:3]}-{postal_code[3:]}"
    return postal_code


def postal_code_error(
    postal_code: str, town_postal_code: str | None, others: set[str]
) -> str | None:
    """Whether a postal code contradicts the chosen town.

    ``others`` are the codes of the other Chiyoda towns: a code belonging to another town, or
    one outside the ward's range, contradicts the town; a building's own code does not.
    """
    if not postal_code or town_postal_code is None or postal_code == town_postal_code:
        return None
    if postal_code in others or not postal_code.startswith(CHIYODA_POSTAL_PREFIXES):
        return "postal_code.town_mismatch"
    return None


@dataclass(frozen=True, slots=True)
class Business:
    """One business as the record view and the form show it."""

    id: int
    version: int
    input: BusinessInput
    area: str
    sme_category: str | None
    sme_status: SmeStatus
    town_name: str
    street_association_name: str
    archived: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class BusinessRow:
    """One line of the business list."""

    id: int
    kind: str
    name: str
    name_kana: str
    corporate_number: str
    area: str
    town_name: str
    phone: str
    sme_status: str
    archived: bool
    updated_at: datetime
    cursor: tuple[object, ...] = field(compare=False, repr=False)


class BusinessSort(StrEnum):
    NAME = "name"
    KIND = "kind"
    AREA = "area"
    UPDATED = "updated"


@dataclass(frozen=True, slots=True)
class BusinessQuery:
    """Filter and order of the business list; every field narrows the list."""

    text: str = ""
    kind: str | None = None
    area: str | None = None
    town_id: int | None = None
    jsic_major: str | None = None
    sme_statuses: tuple[str, ...] = ()
    has_open_follow_ups: bool = False  # a consultation with a due date, not done yet
    archived: bool | None = False  # False: active only, True: archived only, None: both
    sort: BusinessSort = BusinessSort.NAME
    descending: bool = False

    def sorted_by(self, sort: BusinessSort, *, descending: bool = False) -> BusinessQuery:
        return replace(self, sort=sort, descending=descending)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """An existing business a new one may be the same as."""

    id: int
    name: str
    town_name: str
    reason: str  # "corporate_number" or "name_town"
