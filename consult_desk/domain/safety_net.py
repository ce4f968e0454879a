"""セーフティネット保証 認定 (中小企業信用保険法 第2条 第5項 4号/5号, and 危機関連保証).

The ward chief certifies a sales decline; the applicant takes the 認定書 to a bank or CGC Tokyo.
The caller passes the sums for the period the kind looks at, against the same period a year
earlier: 4号 the latest month (and, separately, the 3 months including the expected two),
5号 the latest 3 months, 危機関連 the latest month (and the expected 3 months). Each check is
one call to qualifies().

THRESHOLDS are the rules as published; the government changes them by notice, so a case should
snapshot the threshold it was judged against.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from consult_desk.domain.errors import FieldError, ValidationError


class SafetyNetKind(StrEnum):
    NO4 = "4号"
    NO5 = "5号"
    CRISIS = "危機関連"


# Sales decline in % needed to qualify.
THRESHOLDS: Mapping[SafetyNetKind, Decimal] = MappingProxyType(
    {
        SafetyNetKind.NO4: Decimal("20"),
        SafetyNetKind.NO5: Decimal("5"),
        SafetyNetKind.CRISIS: Decimal("15"),
    }
)

VALID_DAYS = 30  # the 認定書 is valid for 30 days counting the day of issue


def decline_rate(current: int, previous: int) -> Decimal:
    """(previous − current) ÷ previous × 100, truncated to 0.01 %: 20.00 for 800 against 1,000.

    Truncation never lifts a case over a threshold (19.999… stays 19.99). An increase gives a
    negative rate. ValidationError when previous is not positive or current is negative.
    """
    found: list[FieldError] = []
    if current < 0:
        found.append(FieldError("sales_current", "negative"))
    if previous < 0:
        found.append(FieldError("sales_previous", "negative"))
    elif previous == 0:
        found.append(FieldError("sales_previous", "safety_net.no_previous_sales"))
    if found:
        raise ValidationError(found)
    # Hundredths of a percent in integers: exact for any size, and truncated toward zero.
    hundredths = abs(previous - current) * 10_000 // previous
    if current > previous:
        hundredths = -hundredths
    return Decimal(hundredths).scaleb(-2)


def qualifies(kind: SafetyNetKind, current: int, previous: int) -> bool:
    """True when the decline reaches the kind's threshold (exactly 20 % qualifies for 4号)."""
    return decline_rate(current, previous) >= THRESHOLDS[kind]


def valid_until(issued_on: date) -> date:
    """Last day the 認定書 may be presented: issued 11/1 → 11/30, issued 1/15 → 2/13."""
    return issued_on + timedelta(days=VALID_DAYS - 1)


# --- certification cases (SafetyNetService) -------------------------------------------------

MAX_SALES = 10**13  # yen; far above any small business's sales, so a typo shows
MAX_NOTES = 2000


class SafetyNetDecision(StrEnum):
    PENDING = "pending"  # stored as NULL: applied, not decided yet
    CERTIFIED = "certified"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return {"pending": "審査中", "certified": "認定", "refused": "不認定"}[self.value]


@dataclass(frozen=True, slots=True)
class SafetyNetInput:
    """An application for a 認定: the sums of the period the kind looks at, and a year before."""

    business_id: int
    kind: SafetyNetKind
    applied_on: date
    sales_current: int
    sales_previous: int
    notes: str = ""

    def errors(self, today: date) -> list[FieldError]:
        found: list[FieldError] = []
        if self.kind not in tuple(SafetyNetKind):
            found.append(FieldError("kind", "invalid_choice"))
        if self.applied_on > today:
            found.append(FieldError("applied_on", "date.future"))
        if self.sales_current < 0:
            found.append(FieldError("sales_current", "negative"))
        elif self.sales_current > MAX_SALES:
            found.append(FieldError("sales_current", "too_large"))
        if self.sales_previous < 0:
            found.append(FieldError("sales_previous", "negative"))
        elif self.sales_previous == 0:
            found.append(FieldError("sales_previous", "safety_net.no_previous_sales"))
        elif self.sales_previous > MAX_SALES:
            found.append(FieldError("sales_previous", "too_large"))
        if len(self.notes) > MAX_NOTES:
            found.append(FieldError("notes", "too_long"))
        return found


@dataclass(frozen=True, slots=True)
class SafetyNetQuery:
    business_id: int | None = None
    kind: SafetyNetKind | None = None
    decision: SafetyNetDecision | None = None  # None: every decision
    applied_from: date | None = None
    applied_to: date | None = None


@dataclass(frozen=True, slots=True)
class SafetyNetRow:
    """One application as the list and the form show it."""

    id: int
    version: int
    business_id: int
    business_name: str
    kind: SafetyNetKind
    applied_on: date
    sales_current: int | None  # None: hidden from roles that may not see loan amounts
    sales_previous: int | None
    decline_rate: Decimal
    qualifies: bool  # the decline reaches the kind's threshold today
    decision: SafetyNetDecision
    certificate_number: str
    issued_on: date | None  # the 認定書's issue date, or the day of a 不認定
    valid_until: date | None  # certified only
    valid_today: bool  # certified and today lies within issued_on … valid_until
    notes: str
