"""Repayment schedule of an あっせん融資 loan and the ward's interest subsidy (利子補給).

The app's stated convention (the bank's own figures may differ by a few yen; the bank's report
wins for payment, this schedule is for forecasts and checks):

- Rates are Decimal percents per year (Decimal("1.6") is 1.6 %/yr); amounts are int yen.
- Instalment k (1-based) falls due on executed_on's day of month, k months later, clamped to the
  month's last day: executed 1/31 → 2/28 (2/29 in leap years), 3/31, 4/30, …
- Instalments 1..grace_months are interest-only (据置). The remaining n = term − grace repay
  principal by 元金均等: each amount // n, the last one taking the remainder, so the principal
  sums to the amount exactly.
- Interest and subsidy are monthly on the instalment's opening balance:
  floor(balance × rate ÷ 100 ÷ 12), computed exactly and rounded down to the yen.
- The subsidy is 0 for an instalment due after subsidy_stopped_on (転出, 廃業, 代位弁済, …);
  an instalment due on that very day is still subsidised.
- A 繰上償還 paid on day d lowers the balance right after the last instalment due on or before d
  (before instalment 1 when d is earlier than its due date). The monthly principal stays the
  same, so the loan ends earlier (期間短縮型): each later instalment repays
  min(regular principal, balance) and the scheduled final instalment clears what is left. A
  prepayment above the balance counts as the balance; one that clears it ends the loan that day.
- A 年度 owns the subsidy of the instalments falling due in it (April–March).
"""

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from consult_desk.domain.errors import FieldError, ValidationError
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range

MAX_AMOUNT = 10**12  # far above any ward loan; keeps a typo from producing absurd forecasts
MAX_TERM_MONTHS = 360  # 30 years, the loan-case form's limit: ward funds run 5–10 years
MAX_RATE = Decimal("20")  # 利息制限法's ceiling (and the form's); anything above is a typo


@dataclass(frozen=True, slots=True)
class Prepayment:
    """繰上償還 (partial or full early repayment)."""

    paid_on: date
    amount: int  # > 0


@dataclass(frozen=True, slots=True)
class LoanTerms:
    executed_on: date
    amount: int  # executed principal, > 0
    term_months: int  # total term incl. grace, >= 1
    grace_months: int  # 据置: interest-only months, 0 <= grace < term
    nominal_rate: Decimal  # 協定名目利率 %/yr
    subsidy_rate: Decimal  # 利子補給率 %/yr (ward's share), 0 <= subsidy <= nominal
    prepayments: tuple[Prepayment, ...] = ()
    subsidy_stopped_on: date | None = None  # no subsidy for instalments due after this date

    def errors(self) -> list[FieldError]:
        """Every rule the terms break, for the form to show at once."""
        found: list[FieldError] = []
        if self.amount <= 0:
            found.append(FieldError("amount", "loan.amount_positive"))
        elif self.amount > MAX_AMOUNT:
            found.append(FieldError("amount", "too_large"))
        term_ok = False
        if not 1 <= self.term_months <= MAX_TERM_MONTHS:
            found.append(FieldError("term_months", "loan.term_range"))
        elif not _due_date_exists(self):
            found.append(FieldError("term_months", "too_large"))
        else:
            term_ok = True
        if self.grace_months < 0:
            found.append(FieldError("grace_months", "negative"))
        elif term_ok and self.grace_months >= self.term_months:
            found.append(FieldError("grace_months", "loan.grace_not_below_term"))
        nominal_ok = _rate_ok(self.nominal_rate, "nominal_rate", found)
        subsidy_ok = _rate_ok(self.subsidy_rate, "subsidy_rate", found)
        if nominal_ok and subsidy_ok and self.subsidy_rate > self.nominal_rate:
            found.append(FieldError("subsidy_rate", "loan_terms.subsidy_above_nominal"))
        if any(p.amount <= 0 for p in self.prepayments):
            found.append(FieldError("prepayments", "loan.amount_positive"))
        if any(p.paid_on < self.executed_on for p in self.prepayments):
            found.append(FieldError("prepayments", "loan.before_execution"))
        return found


@dataclass(frozen=True, slots=True)
class Instalment:
    number: int  # 1-based
    due_on: date
    opening_balance: int  # after any prepayment made since the previous instalment
    principal: int
    interest: int  # balance * nominal / 12, floored to yen
    subsidy: int  # balance * subsidy_rate / 12, floored; 0 after subsidy stop
    closing_balance: int
    in_grace: bool


class _Step(NamedTuple):
    """One change of balance: an instalment (number >= 1) or an effective prepayment (number 0).

    Plain tuples keep a 2,000-loan forecast fast; Instalment rows are built only for schedule().
    """

    on: date
    number: int
    opening_balance: int
    principal: int  # for a prepayment: the amount that took effect, capped at the balance


def _rate_ok(rate: Decimal, field: str, found: list[FieldError]) -> bool:
    if not rate.is_finite():
        found.append(FieldError(field, "rate.format"))
        return False
    if not 0 <= rate <= MAX_RATE:
        found.append(FieldError(field, "loan.rate_range"))
        return False
    return True


def _due_date_exists(terms: LoanTerms) -> bool:
    # datetime.date stops at 9999-12-31; an absurd execution date must not crash the schedule.
    last_month = terms.executed_on.year * 12 + terms.executed_on.month - 1 + terms.term_months
    return last_month // 12 <= date.max.year


def _checked(terms: LoanTerms) -> LoanTerms:
    if found := terms.errors():
        raise ValidationError(found)
    return terms


def _due_date(executed_on: date, k: int) -> date:
    years, month0 = divmod(executed_on.month - 1 + k, 12)
    year, month = executed_on.year + years, month0 + 1
    day = executed_on.day
    if day > 28:  # every month has 28 days; only later days need clamping
        day = min(day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def _steps(terms: LoanTerms) -> Iterator[_Step]:
    """Instalments and effective prepayments in date order, until the balance reaches 0."""
    repaying = terms.term_months - terms.grace_months
    regular = terms.amount // repaying
    pending = sorted(terms.prepayments, key=lambda p: p.paid_on)  # sorted() is stable
    next_prepayment = 0
    balance = terms.amount
    for k in range(1, terms.term_months + 1):
        due_on = _due_date(terms.executed_on, k)
        while next_prepayment < len(pending) and pending[next_prepayment].paid_on < due_on:
            prepayment = pending[next_prepayment]
            next_prepayment += 1
            paid = min(prepayment.amount, balance)
            yield _Step(prepayment.paid_on, 0, balance, paid)
            balance -= paid
            if balance == 0:
                return  # repaid in full: the loan ends on the prepayment day
        if k <= terms.grace_months:
            principal = 0
        elif k == terms.term_months:
            principal = balance
        else:
            principal = min(regular, balance)
        yield _Step(due_on, k, balance, principal)
        balance -= principal
        if balance == 0:
            return
    # Prepayments after the final instalment find a zero balance and change nothing.


class _Monthly:
    """floor(balance × rate ÷ 100 ÷ 12) in integers: exact, and // rounds down."""

    __slots__ = ("_denominator", "_numerator")

    def __init__(self, rate: Decimal) -> None:
        self._numerator, denominator = rate.as_integer_ratio()
        self._denominator = denominator * 1200

    def __call__(self, balance: int) -> int:
        return balance * self._numerator // self._denominator


def _subsidy_due(terms: LoanTerms, step: _Step, subsidy: _Monthly) -> int:
    stopped_on = terms.subsidy_stopped_on
    if stopped_on is not None and step.on > stopped_on:
        return 0
    return subsidy(step.opening_balance)


def schedule(terms: LoanTerms) -> list[Instalment]:
    """Every instalment of the loan, shortened by any prepayments; ValidationError if invalid."""
    interest, subsidy = _Monthly(_checked(terms).nominal_rate), _Monthly(terms.subsidy_rate)
    return [
        Instalment(
            number=step.number,
            due_on=step.on,
            opening_balance=step.opening_balance,
            principal=step.principal,
            interest=interest(step.opening_balance),
            subsidy=_subsidy_due(terms, step, subsidy),
            closing_balance=step.opening_balance - step.principal,
            in_grace=step.number <= terms.grace_months,
        )
        for step in _steps(terms)
        if step.number
    ]


def subsidy_by_fiscal_year(instalments: Iterable[Instalment]) -> dict[int, int]:
    """年度 → subsidy yen, for every 年度 with an instalment due (0 after a stop), in order."""
    totals: dict[int, int] = {}
    for instalment in instalments:
        year = fiscal_year(instalment.due_on)
        totals[year] = totals.get(year, 0) + instalment.subsidy
    return totals


def fiscal_year_subsidy(terms: LoanTerms, year: int) -> int:
    """The ward's subsidy for one loan in 年度 year."""
    subsidy = _Monthly(_checked(terms).subsidy_rate)
    first, last = fiscal_year_range(year)
    total = 0
    for step in _steps(terms):
        if step.on > last:
            break  # a forecast needs no rows beyond the year
        if step.number and step.on >= first:
            total += _subsidy_due(terms, step, subsidy)
    return total


def forecast(loans: Iterable[LoanTerms], year: int) -> int:
    """The ward's total subsidy in 年度 year over the loans (the 利子補給 budget line)."""
    return sum(fiscal_year_subsidy(terms, year) for terms in loans)


def balance_on(terms: LoanTerms, day: date) -> int:
    """Outstanding principal at the end of day: after instalments due and prepayments paid by then.

    0 before execution (nothing lent yet) and from maturity on.
    """
    if day < _checked(terms).executed_on:
        return 0
    balance = terms.amount
    for step in _steps(terms):
        if step.on > day:
            break
        balance = step.opening_balance - step.principal
    return balance


def maturity(terms: LoanTerms) -> date:
    """The day the loan is repaid: the last instalment's due date, or the day of a prepayment
    that cleared the balance."""
    last = _checked(terms).executed_on
    for step in _steps(terms):
        last = step.on
    return last
