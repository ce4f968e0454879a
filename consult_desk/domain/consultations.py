"""Consultations (経営相談): input values, their field rules, list rows and list queries."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from consult_desk.domain.errors import FieldError
from consult_desk.domain.fiscal import japan_today
from consult_desk.domain.text import normalize, normalize_lines

MAX_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class ConsultationInput:
    consulted_on: date
    channel_id: int
    staff_id: int
    business_id: int | None = None
    prospect_name: str = ""  # a prospective founder without a business record
    prospect_contact: str = ""
    start_time: time | None = None
    minutes: int | None = None
    topic_ids: tuple[int, ...] = ()
    primary_topic_id: int | None = None  # None: the first topic
    summary: str = ""
    advice: str = ""
    referrals: str = ""
    next_action: str = ""
    due_on: date | None = None
    initiative_ids: tuple[int, ...] = ()  # empty: derived from the primary topic

    def normalized(self) -> ConsultationInput:
        topics = tuple(dict.fromkeys(self.topic_ids))
        primary = self.primary_topic_id
        if primary is None and topics:
            primary = topics[0]
        return replace(
            self,
            prospect_name=normalize(self.prospect_name),
            prospect_contact=normalize(self.prospect_contact),
            topic_ids=topics,
            primary_topic_id=primary,
            # Notes are stored NFKC-normalised (line breaks kept), like every searched text,
            # so a word typed in full width is found when typed in half width, and vice versa.
            summary=normalize_lines(self.summary),
            advice=normalize_lines(self.advice),
            referrals=normalize_lines(self.referrals),
            next_action=normalize_lines(self.next_action),
            initiative_ids=tuple(dict.fromkeys(self.initiative_ids)),
        )

    def errors(self, today: date | None = None) -> list[FieldError]:
        today = today or japan_today()
        found: list[FieldError] = []
        if self.consulted_on > today:
            found.append(FieldError("consulted_on", "date.future"))
        if self.business_id is None and not self.prospect_name:
            found.append(FieldError("business_id", "consultation.business_or_prospect"))
        if self.business_id is not None and self.prospect_name:
            found.append(FieldError("prospect_name", "consultation.both_business_and_prospect"))
        if len(self.prospect_name) > 100:
            found.append(FieldError("prospect_name", "too_long"))
        if len(self.prospect_contact) > 200:
            found.append(FieldError("prospect_contact", "too_long"))
        if self.minutes is not None and not 0 < self.minutes <= MAX_MINUTES:
            found.append(FieldError("minutes", "minutes.range"))
        if self.primary_topic_id is not None and self.primary_topic_id not in self.topic_ids:
            found.append(FieldError("primary_topic_id", "consultation.primary_not_in_topics"))
        if self.due_on is not None and self.due_on < self.consulted_on:
            found.append(FieldError("due_on", "consultation.due_before_consultation"))
        if self.due_on is not None and not self.next_action:
            found.append(FieldError("next_action", "consultation.due_without_action"))
        return found


@dataclass(frozen=True, slots=True)
class Consultation:
    id: int
    version: int
    input: ConsultationInput
    business_name: str
    channel_name: str
    staff_name: str
    topic_names: tuple[str, ...]
    initiative_codes: tuple[str, ...]
    done: bool
    done_on: date | None
    done_note: str
    archived: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ConsultationRow:
    id: int
    consulted_on: date
    channel: str
    staff: str
    client: str  # business name, or the prospective founder's name
    business_id: int | None
    primary_topic: str
    summary: str
    due_on: date | None
    done: bool
    cursor: tuple[object, ...] = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ConsultationQuery:
    date_from: date | None = None
    date_to: date | None = None
    staff_id: int | None = None
    channel_id: int | None = None
    business_id: int | None = None
    topic_id: int | None = None
    initiative_id: int | None = None
    open_follow_ups: bool = False  # only those with a due date and not done
    due_to: date | None = None  # follow-ups due on or before this day
    area: str | None = None  # the business's area (麹町地域 / 神田地域 / 区外 …)
    text: str = ""
    archived: bool | None = False
    descending: bool = True  # newest first
    by_due: bool = False  # follow-up lists: oldest due date first (only rows with one)
