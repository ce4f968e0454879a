"""Shopping streets (商店街): associations, member counts, support records, events, kinds.

The work serves 基本方針2 of the ward's industry plan: 2-1-1 商店街の組織強化への支援 (法人化の
相談), 2-2-1 イベント開催支援, 2-2-2 次世代の担い手支援, 2-2-3 大学連携. Each support record and
event names the initiative it serves; it defaults from the support kind.

Input values carry their own field rules (pure functions, no database). Rules that depend on
stored data take those facts as arguments (the areas of the chosen towns, whether the chosen
kind is 大学連携), so a form and the service run the same code.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from consult_desk.domain.businesses import _EMAIL, Area
from consult_desk.domain.corporate_number import corporate_number_error, normalize_corporate_number
from consult_desk.domain.errors import FieldError
from consult_desk.domain.fiscal import fiscal_year, japan_today
from consult_desk.domain.text import normalize, normalize_lines, parse_int


class LegalForm(StrEnum):
    """法人格 of an association (the values stored in ``street_association.legal_form``)."""

    PROMOTION_UNION = "商店街振興組合"  # 商店街振興組合法: a corporation
    COOPERATIVE = "事業協同組合"  # 中小企業等協同組合法: a corporation
    VOLUNTARY = "任意商店会"  # an unincorporated voluntary body: no 法人番号
    FEDERATION = "連合会"  # may be incorporated (振興組合連合会) or not
    OTHER = "その他"

    @property
    def incorporated(self) -> bool:
        """Certainly a corporation (the forms the subsidy rules call 法人商店街)."""
        return self in (LegalForm.PROMOTION_UNION, LegalForm.COOPERATIVE)

    @property
    def may_have_corporate_number(self) -> bool:
        """Only a 任意商店会 certainly has no 法人番号 and no date of incorporation."""
        return self is not LegalForm.VOLUNTARY


class SupportKindCode(StrEnum):
    """Codes of the support kinds the app ships (users may add more, with codes of their own)."""

    ORGANISATION = "organisation"  # 組織強化・法人化相談 → 2-1-1
    EVENT = "event"  # イベント開催支援 → 2-2-1
    SUCCESSOR = "successor"  # 次世代の担い手支援 → 2-2-2
    UNIVERSITY = "university"  # 大学連携 → 2-2-3
    OTHER = "other"  # その他の支援 → 2-2-1


# The initiative of an event that is not linked to a support record (the plan's イベント開催支援).
EVENT_INITIATIVE_CODE = "2-2-1"
# Suggestions for the forms' editable lists; any other text is accepted.
EVENT_TYPES = (
    "季節イベント",
    "売出し",
    "スタンプラリー",
    "祭り",
    "防災・防犯",
    "清掃・美化",
    "その他",
)
PARTNER_SUGGESTIONS = ("町会", "大学", "NPO", "商店街連合会", "観光協会", "警察・消防")

# The longest value each text field may hold (the columns' sizes).
ASSOCIATION_MAX_LENGTHS = {
    "name": 200,
    "name_kana": 200,
    "representative_name": 100,
    "contact_name": 100,
    "phone": 30,
    "email": 200,
    "address": 300,
}
SUPPORT_MAX_LENGTHS = {"title": 200, "university": 100, "project": 200}
EVENT_MAX_LENGTHS = {"name": 200, "event_type": 50, "place": 200}
KIND_MAX_NAME = 50
FIRST_FISCAL_YEAR = 1950  # before the 商店街振興組合法 (1962): older counts are not kept here
MAX_COUNT = 1_000_000  # members, students, visitors: far above any street's figures
MAX_YEN = 10**12
# Japanese numbers have 10 (land line, 0120) or 11 (mobile, 050) digits; 15 leaves room for an
# extension (内線) written after the number.
PHONE_DIGITS = (10, 15)
_DIGIT = re.compile(r"[0-9]")

UNIVERSITY_FIELDS = ("university", "project", "student_count")


def _too_long(value: object, limits: Mapping[str, int]) -> list[FieldError]:
    return [
        FieldError(name, "too_long")
        for name, limit in limits.items()
        if len(getattr(value, name)) > limit
    ]


def _count_error(count: int | None, limit: int = MAX_COUNT) -> str | None:
    if count is None:
        return None
    if count < 0:
        return "negative"
    if count > limit:
        return "too_large"
    return None


def phone_error(phone: str) -> str | None:
    """A phone number must be written from its area code (市外局番): 10 or more digits."""
    if not phone:
        return None
    low, high = PHONE_DIGITS
    return None if low <= len(_DIGIT.findall(phone)) <= high else "street.phone_format"


def street_area(area: str | None, town_areas: Collection[str]) -> str:
    """The area to store: the one chosen, else the towns' area when they all share one."""
    if area and area != Area.UNSET:
        return area
    distinct = set(town_areas)
    return distinct.pop() if len(distinct) == 1 else Area.UNSET


def read_numbers(texts: Mapping[str, str]) -> tuple[dict[str, int | None], list[FieldError]]:
    """Typed numbers as the forms hand them over (「１２万円」, 「3,000」, 「−5」).

    Empty text is None; text ``parse_int`` cannot read is a ``number.format`` error for its
    field. Signs are kept, so a negative amount reaches the input's own rule (``negative``).
    """
    values: dict[str, int | None] = {}
    errors: list[FieldError] = []
    for name, text in texts.items():
        if not text.strip():
            values[name] = None
            continue
        try:
            values[name] = parse_int(text)
        except ValueError:
            values[name] = None
            errors.append(FieldError(name, "number.format"))
    return values, errors


# --- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssociationInput:
    """A shopping-street association as a user enters it."""

    name: str
    legal_form: str
    name_kana: str = ""
    corporate_number: str = ""  # 法人番号; never for a 任意商店会
    incorporated_on: date | None = None
    area: str | None = None  # None: the towns' area when they share one, else 未設定
    town_ids: tuple[int, ...] = ()  # the towns (町名) the street covers
    representative_name: str = ""  # 理事長 / 会長
    contact_name: str = ""  # who the desk calls (事務局)
    phone: str = ""
    email: str = ""
    address: str = ""  # the office (事務所) address
    federation_member: bool = True  # 千代田区商店街連合会
    notes: str = ""

    def normalized(self) -> AssociationInput:
        return replace(
            self,
            name=normalize(self.name),
            legal_form=normalize(self.legal_form),
            name_kana=normalize(self.name_kana),
            corporate_number=normalize_corporate_number(self.corporate_number)
            if self.corporate_number.strip()
            else "",
            town_ids=tuple(dict.fromkeys(self.town_ids)),
            representative_name=normalize(self.representative_name),
            contact_name=normalize(self.contact_name),
            phone=normalize(self.phone),
            email=normalize(self.email),
            address=normalize(self.address),
            notes=normalize_lines(self.notes),
        )

    def errors(
        self, today: date | None = None, *, town_areas: Collection[str] = ()
    ) -> list[FieldError]:
        """Field rules; call on the normalised value. ``town_areas``: the areas of the
        chosen towns (from ``ReferenceService.towns()``), for the area-consistency rule."""
        today = today or japan_today()
        found: list[FieldError] = []
        if not self.name:
            found.append(FieldError("name", "required"))
        found += _too_long(self, ASSOCIATION_MAX_LENGTHS)
        form = LegalForm(self.legal_form) if self.legal_form in set(LegalForm) else None
        if form is None:
            found.append(FieldError("legal_form", "invalid_choice"))
        if self.corporate_number:
            if form is LegalForm.VOLUNTARY:
                found.append(FieldError("corporate_number", "street.voluntary_corporate_number"))
            elif code := corporate_number_error(self.corporate_number):
                found.append(FieldError("corporate_number", code))
        if self.incorporated_on is not None:
            if form is LegalForm.VOLUNTARY:
                found.append(FieldError("incorporated_on", "street.voluntary_incorporated_on"))
            elif self.incorporated_on > today:
                found.append(FieldError("incorporated_on", "date.future"))
        if self.area is not None and self.area not in set(Area):
            found.append(FieldError("area", "invalid_choice"))
        elif self.area not in (None, Area.UNSET) and town_areas and self.area not in town_areas:
            found.append(FieldError("area", "area.town_mismatch"))
        if code := phone_error(self.phone):
            found.append(FieldError("phone", code))
        if self.email and not _EMAIL.fullmatch(self.email):
            found.append(FieldError("email", "email.format"))
        return found


@dataclass(frozen=True, slots=True)
class MembershipInput:
    """Member counts of an association in one 年度 (正会員 / 賛助会員)."""

    fiscal_year: int
    full_members: int = 0
    supporting_members: int = 0

    def errors(self, today: date | None = None) -> list[FieldError]:
        latest = fiscal_year(today or japan_today()) + 1  # next year's counts come in March
        found: list[FieldError] = []
        if not FIRST_FISCAL_YEAR <= self.fiscal_year <= latest:
            found.append(FieldError("fiscal_year", "street.fiscal_year_range"))
        for name in ("full_members", "supporting_members"):
            if code := _count_error(getattr(self, name)):
                found.append(FieldError(name, code))
        return found


@dataclass(frozen=True, slots=True)
class SupportInput:
    """One support record (支援記録) for an association.

    ``initiative_id`` None: the kind's initiative. ``staff_id`` None: the signed-in member of
    staff. The 大学連携 details (university, project, student_count) are only for that kind.
    """

    kind_id: int
    supported_on: date
    title: str
    staff_id: int | None = None
    initiative_id: int | None = None
    notes: str = ""
    university: str = ""
    project: str = ""
    student_count: int | None = None

    def normalized(self) -> SupportInput:
        return replace(
            self,
            title=normalize(self.title),
            notes=normalize_lines(self.notes),
            university=normalize(self.university),
            project=normalize(self.project),
        )

    def errors(
        self, today: date | None = None, *, university_kind: bool = False
    ) -> list[FieldError]:
        """Field rules; ``university_kind``: whether the chosen kind is 大学連携."""
        today = today or japan_today()
        found: list[FieldError] = []
        if not self.title:
            found.append(FieldError("title", "required"))
        found += _too_long(self, SUPPORT_MAX_LENGTHS)
        if self.supported_on > today:
            found.append(FieldError("supported_on", "date.future"))
        if code := _count_error(self.student_count):
            found.append(FieldError("student_count", code))
        if not university_kind:
            found += [
                FieldError(name, "street.university_only")
                for name in UNIVERSITY_FIELDS
                if getattr(self, name) not in ("", None)
            ]
        return found


@dataclass(frozen=True, slots=True)
class EventInput:
    """An event (イベント) an association holds; dates inclusive, both may lie ahead.

    ``support_id``: the イベント開催支援 record it belongs to, if any. ``initiative_id`` None:
    that record's initiative, else 2-2-1.
    """

    name: str
    starts_on: date
    ends_on: date
    event_type: str = ""  # see EVENT_TYPES
    place: str = ""
    partners: str = ""  # 町会, 大学, NPO … (see PARTNER_SUGGESTIONS)
    budget: int | None = None  # yen
    visitors: int | None = None
    notes: str = ""
    support_id: int | None = None
    initiative_id: int | None = None

    def normalized(self) -> EventInput:
        return replace(
            self,
            name=normalize(self.name),
            event_type=normalize(self.event_type),
            place=normalize(self.place),
            partners=normalize_lines(self.partners),
            notes=normalize_lines(self.notes),
        )

    def errors(self) -> list[FieldError]:
        found: list[FieldError] = []
        if not self.name:
            found.append(FieldError("name", "required"))
        found += _too_long(self, EVENT_MAX_LENGTHS)
        if self.ends_on < self.starts_on:
            found.append(FieldError("ends_on", "street.event_period"))
        if code := _count_error(self.budget, MAX_YEN):
            found.append(FieldError("budget", code))
        if code := _count_error(self.visitors):
            found.append(FieldError("visitors", code))
        return found


@dataclass(frozen=True, slots=True)
class SupportKindInput:
    """A kind of street support (master data): its name and the initiative it serves."""

    name: str
    initiative_id: int | None
    active: bool = True
    sort_order: int | None = None  # None: after the last kind

    def normalized(self) -> SupportKindInput:
        return replace(self, name=normalize(self.name))

    def errors(self) -> list[FieldError]:
        found: list[FieldError] = []
        if not self.name:
            found.append(FieldError("name", "required"))
        elif len(self.name) > KIND_MAX_NAME:
            found.append(FieldError("name", "too_long"))
        if self.initiative_id is None:
            # Every support record serves an initiative; the kind gives its default.
            found.append(FieldError("initiative_id", "required"))
        return found


# --- what the service returns -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Membership:
    id: int
    association_id: int
    fiscal_year: int
    full_members: int
    supporting_members: int
    version: int

    @property
    def total(self) -> int:
        return self.full_members + self.supporting_members

    def as_input(self) -> MembershipInput:
        return MembershipInput(self.fiscal_year, self.full_members, self.supporting_members)


@dataclass(frozen=True, slots=True)
class Association:
    """One association as its record page and form show it."""

    id: int
    version: int
    input: AssociationInput  # as stored: feed it back to ``update`` after editing
    area: str  # as stored (derived from the towns when the input left it open)
    town_names: tuple[str, ...]  # in the order of ``input.town_ids``
    latest_membership: Membership | None
    archived: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AssociationRow:
    """One line of the association list; the member counts are those of its latest 年度."""

    id: int
    name: str
    name_kana: str
    legal_form: str
    corporate_number: str
    area: str
    town_names: tuple[str, ...]
    federation_member: bool
    members_fiscal_year: int | None
    full_members: int | None
    supporting_members: int | None
    archived: bool
    cursor: tuple[object, ...] = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AssociationQuery:
    """Filter of the association list (ordered by reading, then id); every field narrows it."""

    text: str = ""  # words matched against name, reading and 法人番号
    area: str | None = None
    town_id: int | None = None
    legal_form: str | None = None
    federation_member: bool | None = None
    archived: bool | None = False  # False: active only, True: archived only, None: both
    descending: bool = False


@dataclass(frozen=True, slots=True)
class SupportKindInfo:
    id: int
    code: str  # the shipped kinds' codes are SupportKindCode; user-added ones are generated
    name: str
    initiative_id: int | None
    initiative_code: str
    sort_order: int
    active: bool
    version: int

    @property
    def is_university(self) -> bool:
        return self.code == SupportKindCode.UNIVERSITY

    @property
    def is_event(self) -> bool:
        return self.code == SupportKindCode.EVENT

    def as_input(self) -> SupportKindInput:
        return SupportKindInput(self.name, self.initiative_id, self.active, self.sort_order)


@dataclass(frozen=True, slots=True)
class Support:
    """One support record as its form shows it."""

    id: int
    version: int
    association_id: int
    association_name: str
    input: SupportInput  # staff_id and initiative_id as stored (never None)
    kind_code: str
    kind_name: str
    initiative_code: str
    staff_name: str
    event_ids: tuple[int, ...]  # events linked to this record
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SupportRow:
    id: int
    association_id: int
    association_name: str
    supported_on: date
    kind_id: int
    kind_name: str
    title: str
    initiative_code: str
    staff_name: str
    cursor: tuple[object, ...] = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SupportQuery:
    """Filter of the support list over all associations, newest first by default."""

    association_id: int | None = None
    kind_id: int | None = None
    staff_id: int | None = None
    initiative_id: int | None = None
    date_from: date | None = None  # inclusive
    date_to: date | None = None  # inclusive
    descending: bool = True

    def errors(self) -> list[FieldError]:
        if self.date_from and self.date_to and self.date_to < self.date_from:
            return [FieldError("date_to", "period.reversed")]
        return []


@dataclass(frozen=True, slots=True)
class Event:
    """One event as its form shows it."""

    id: int
    version: int
    association_id: int
    association_name: str
    input: EventInput  # initiative_id as stored (never None)
    initiative_code: str
    support_title: str  # the linked support record's title, "" without one
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    association_id: int
    name: str
    event_type: str
    starts_on: date
    ends_on: date
    place: str
    budget: int | None
    visitors: int | None
    support_id: int | None
    initiative_code: str


@dataclass(frozen=True, slots=True)
class StreetTimelineEntry:
    """One line of an association's history: a support record, an event or a subsidy."""

    on: date
    record_kind: str  # "street_support", "street_event" or "subsidy_application"
    record_id: int
    title: str
    detail: str
    staff: str
