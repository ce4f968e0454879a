"""Loan master data (融資制度・指定金融機関): input values, their rules, and what services return.

Rates are exact ``Decimal`` percents (1.6 means 1.6 %/年). The borrower's rate is never stored:
名目利率 − 利子補給率 (− 町会加算 for members of a 町会 / 商店街振興組合), computed here.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from consult_desk.domain.errors import FieldError
from consult_desk.domain.text import normalize, normalize_lines

REPAYMENT_METHODS = ("元金均等", "元利均等")
MAX_NAME = 100  # the name columns' size
MAX_RATE = Decimal(20)  # %/年; far above any ward's nominal rate, catches 16 typed for 1.6
MAX_RATIO = Decimal(100)
RATE_PLACES = 4  # the Rate column stores 1/10,000 percent
MAX_YEN = 10**10  # 100億円: far above any fund's limit or fee cap
TERM_MONTHS = (1, 360)
CONCURRENT_LOANS = (1, 99)
RATE_FIELDS = (
    "nominal_rate",
    "subsidy_rate_resident",
    "subsidy_rate_general",
    "chokai_bonus_rate",
)


def parse_rate(text: str) -> Decimal:
    """Parse a percentage as people type it: 「1.6」, 「１．６％」, 「0.45 %」, 「2％」.

    Raises ValueError for empty input and anything that is not a plain decimal number.
    """
    cleaned = "".join(unicodedata.normalize("NFKC", text).split()).replace("\u2212", "-")
    cleaned = cleaned.removesuffix("%")
    # Decimal() would also accept "1e1", "NaN" and "Infinity"; people never mean those.
    if not cleaned or any(ch not in "0123456789.-" for ch in cleaned):
        raise ValueError(text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    return value


def format_rate(rate: Decimal | None, min_places: int = 1) -> str:
    """「1.6%」, 「0.45%」, 「1.0%」 (「100%」 with ``min_places=0``); "" for None."""
    if rate is None:
        return ""
    whole, _, fraction = f"{rate.normalize():f}".partition(".")
    fraction = fraction.ljust(min_places, "0")
    return f"{whole}.{fraction}%" if fraction else f"{whole}%"


def _rate_error(value: Decimal, high: Decimal, range_code: str) -> str | None:
    if not Decimal(0) <= value <= high:
        return range_code
    if value != value.quantize(Decimal(1).scaleb(-RATE_PLACES)):
        return "loan_terms.rate_precision"
    return None


def _name_errors(name: str) -> list[FieldError]:
    if not name:
        return [FieldError("name", "required")]
    if len(name) > MAX_NAME:
        return [FieldError("name", "too_long")]
    return []


# --- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProgramInput:
    """資金種別 as a user enters it."""

    name: str
    is_startup: bool = False  # 起業資金: the startup path (plan coaching, 6-month diagnosis)
    active: bool = True
    notes: str = ""
    initiative_id: int | None = None  # the 施策 of the plan this fund belongs to

    def normalized(self) -> ProgramInput:
        return replace(self, name=normalize(self.name), notes=normalize_lines(self.notes))

    def errors(self) -> list[FieldError]:
        return _name_errors(normalize(self.name))


@dataclass(frozen=True, slots=True)
class TermsInput:
    """The terms of a fund for one period (both ends inclusive; ``valid_to`` None: open)."""

    valid_from: date
    valid_to: date | None
    limit_amount: int  # yen
    max_term_months: int  # grace included
    max_grace_months: int
    nominal_rate: Decimal  # 名目利率, %
    subsidy_rate_resident: Decimal  # 利子補給率 when the representative lives in the ward
    subsidy_rate_general: Decimal  # … when not
    chokai_bonus_rate: Decimal | None  # extra 利子補給 for 町会 / 商店街 members
    guarantee_fee_subsidy_ratio: Decimal | None  # % of the 信用保証料 the ward pays
    guarantee_fee_subsidy_cap: int | None  # yen; None: no cap
    max_concurrent_loans: int  # 口数
    repayment_method: str = "元金均等"

    def normalized(self) -> TermsInput:
        return replace(self, repayment_method=normalize(self.repayment_method))

    def errors(self) -> list[FieldError]:
        found: list[FieldError] = []

        def add(field: str, code: str | None) -> None:
            if code is not None:
                found.append(FieldError(field, code))

        if self.valid_to is not None and self.valid_to < self.valid_from:
            add("valid_to", "loan_terms.period")
        add("limit_amount", _amount_error(self.limit_amount))
        low, high = TERM_MONTHS
        term_ok = low <= self.max_term_months <= high
        if not term_ok:
            add("max_term_months", "loan_terms.term_range")
        if self.max_grace_months < 0:
            add("max_grace_months", "negative")
        elif term_ok and self.max_grace_months >= self.max_term_months:
            add("max_grace_months", "loan_terms.grace_too_long")

        rate_ok: dict[str, bool] = {}
        for field in RATE_FIELDS:
            value = getattr(self, field)
            code = None if value is None else _rate_error(value, MAX_RATE, "loan_terms.rate_range")
            rate_ok[field] = code is None
            add(field, code)
        if all(rate_ok.values()):
            for field in ("subsidy_rate_resident", "subsidy_rate_general"):
                if getattr(self, field) > self.nominal_rate:
                    add(field, "loan_terms.subsidy_above_nominal")
            highest = max(self.subsidy_rate_resident, self.subsidy_rate_general)
            if (
                highest <= self.nominal_rate
                and highest + (self.chokai_bonus_rate or 0) > self.nominal_rate
            ):
                add("chokai_bonus_rate", "loan_terms.bonus_above_nominal")

        if self.guarantee_fee_subsidy_ratio is not None:
            add(
                "guarantee_fee_subsidy_ratio",
                _rate_error(self.guarantee_fee_subsidy_ratio, MAX_RATIO, "loan_terms.ratio_range"),
            )
        if self.guarantee_fee_subsidy_cap is not None:
            if self.guarantee_fee_subsidy_ratio is None:
                add("guarantee_fee_subsidy_cap", "loan_terms.cap_without_ratio")
            else:
                add("guarantee_fee_subsidy_cap", _amount_error(self.guarantee_fee_subsidy_cap))
        low, high = CONCURRENT_LOANS
        if not low <= self.max_concurrent_loans <= high:
            add("max_concurrent_loans", "loan_terms.concurrent_range")
        if normalize(self.repayment_method) not in REPAYMENT_METHODS:
            add("repayment_method", "invalid_choice")
        return found


def _amount_error(amount: int) -> str | None:
    if amount <= 0:
        return "loan_terms.positive"
    if amount > MAX_YEN:
        return "too_large"
    return None


def periods_overlap(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    """Whether two inclusive periods share a day (None: open-ended)."""
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


@dataclass(frozen=True, slots=True)
class BankInput:
    """指定金融機関."""

    name: str
    active: bool = True

    def normalized(self) -> BankInput:
        return replace(self, name=normalize(self.name))

    def errors(self) -> list[FieldError]:
        return _name_errors(normalize(self.name))


@dataclass(frozen=True, slots=True)
class BranchInput:
    name: str
    active: bool = True

    def normalized(self) -> BranchInput:
        return replace(self, name=normalize(self.name))

    def errors(self) -> list[FieldError]:
        return _name_errors(normalize(self.name))


# --- what services return -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProgramInfo:
    id: int
    name: str
    is_startup: bool
    active: bool
    notes: str
    initiative_id: int | None
    version: int

    def as_input(self) -> ProgramInput:
        return ProgramInput(self.name, self.is_startup, self.active, self.notes, self.initiative_id)


@dataclass(frozen=True, slots=True)
class TermsInfo:
    id: int
    program_id: int
    version: int
    valid_from: date
    valid_to: date | None
    limit_amount: int
    max_term_months: int
    max_grace_months: int
    repayment_method: str
    nominal_rate: Decimal
    subsidy_rate_resident: Decimal
    subsidy_rate_general: Decimal
    chokai_bonus_rate: Decimal | None
    guarantee_fee_subsidy_ratio: Decimal | None
    guarantee_fee_subsidy_cap: int | None
    max_concurrent_loans: int

    def in_force(self, on: date) -> bool:
        return periods_overlap(self.valid_from, self.valid_to, on, on)

    def subsidy_rate(self, resident: bool, chokai_member: bool) -> Decimal:
        """The ward's share (利子補給率) for a borrower of this kind."""
        rate = self.subsidy_rate_resident if resident else self.subsidy_rate_general
        if chokai_member and self.chokai_bonus_rate is not None:
            rate += self.chokai_bonus_rate
        return rate

    def borrower_rate(self, resident: bool, chokai_member: bool) -> Decimal:
        """本人負担率: what the borrower pays (名目利率 − the ward's share)."""
        return self.nominal_rate - self.subsidy_rate(resident, chokai_member)

    @property
    def borrower_rate_resident(self) -> Decimal:
        return self.borrower_rate(resident=True, chokai_member=False)

    @property
    def borrower_rate_general(self) -> Decimal:
        return self.borrower_rate(resident=False, chokai_member=False)

    def as_input(self) -> TermsInput:
        return TermsInput(
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            limit_amount=self.limit_amount,
            max_term_months=self.max_term_months,
            max_grace_months=self.max_grace_months,
            nominal_rate=self.nominal_rate,
            subsidy_rate_resident=self.subsidy_rate_resident,
            subsidy_rate_general=self.subsidy_rate_general,
            chokai_bonus_rate=self.chokai_bonus_rate,
            guarantee_fee_subsidy_ratio=self.guarantee_fee_subsidy_ratio,
            guarantee_fee_subsidy_cap=self.guarantee_fee_subsidy_cap,
            max_concurrent_loans=self.max_concurrent_loans,
            repayment_method=self.repayment_method,
        )


@dataclass(frozen=True, slots=True)
class BranchInfo:
    id: int
    bank_id: int
    name: str
    active: bool
    version: int


@dataclass(frozen=True, slots=True)
class BankInfo:
    id: int
    name: str
    active: bool
    version: int
    branches: tuple[BranchInfo, ...]
