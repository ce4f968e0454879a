"""The figures of the 月次報告・年度報告 as plain frozen values.

``services.reporting`` computes them (one SQL aggregate per figure group); the layouts in
``reports`` turn them into ``Document``s and the JSON file is written from them. They live in the
domain so that both layers can read them without the reports layer importing a service.

Conventions: a breakdown is a tuple of (label, value) pairs in display order, the label being the
Japanese name the reader sees (a channel, a JSIC 大分類, a fund, a bank, a state); amounts are int
yen; a loan amount is ``None`` for a reader who may not see loan amounts. A new kind of record
slots in as one more figure-group dataclass and one more field of ``PeriodFigures``: the JSON
writer walks the fields, so it needs no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from consult_desk.domain.report_records import InitiativeOverview

T = TypeVar("T")

Labelled = tuple[tuple[str, T], ...]  # label → value, in display order
Counts = Labelled[int]

NO_TOPIC = "主な相談分野なし"
NO_BUSINESS = "事業者未登録（創業予定者など）"
NO_JSIC = "業種未設定"
NO_BANK = "金融機関未設定"


@dataclass(frozen=True, slots=True)
class ConsultationFigures:
    total: int
    by_channel: Counts  # every channel, in its sort order (zeros included)
    by_topic: Counts  # primary topic, in its sort order; NO_TOPIC last when any
    by_area: Counts  # the business's area (AREAS order); NO_BUSINESS last when any
    # Every JSIC 大分類 as "I 卸売業，小売業", in code order (zeros included); then NO_JSIC (a
    # business with no 業種) and NO_BUSINESS (a prospective founder), each only when any.
    by_jsic: Counts


@dataclass(frozen=True, slots=True)
class Executed:
    count: int
    amount: int | None  # yen; None when the principal may not see loan amounts


@dataclass(frozen=True, slots=True)
class Tally:
    """A number of records and the yen they add up to."""

    count: int
    amount: int  # yen


Granted = Tally  # the name the first version of the report used


@dataclass(frozen=True, slots=True)
class ProgramLoans:
    """One 資金種別's cases in the period."""

    received: int
    referred: int
    executed: Executed


@dataclass(frozen=True, slots=True)
class BankLoans:
    """One 金融機関's cases in the period (a case meets its bank at referral)."""

    referred: int
    executed: Executed


@dataclass(frozen=True, slots=True)
class LoanFigures:
    received: int
    referred: int
    executed: Executed
    declined: int  # declined by bank or 信用保証協会, or refused by the ward
    withdrawn: int
    by_program: Labelled[ProgramLoans]  # every fund, registration order (zeros included)
    by_bank: Labelled[BankLoans]  # every bank, registration order; NO_BANK last when any
    # Cases in each open state (label) at the end of the period's last day, from the case
    # history; the workflow's order, zeros included.
    pipeline: Counts


@dataclass(frozen=True, slots=True)
class DispatchFigures:
    visits: int
    fees: int  # yen, the visits' fees
    decided: int  # dispatches decided (派遣決定) in the period
    completed: int  # dispatches completed (派遣完了) in the period


@dataclass(frozen=True, slots=True)
class StreetFigures:
    supports: int  # support records (商店街支援) in the period
    by_kind: Counts  # every support kind, in its sort order (zeros included)
    events: int  # events that started in the period
    visitors: int  # their visitors, where recorded
    university: int  # 大学連携 support records
    students: int  # students taking part in them, where recorded


@dataclass(frozen=True, slots=True)
class ProgramSubsidies:
    received: int
    granted: Tally
    paid: Tally


@dataclass(frozen=True, slots=True)
class SubsidyFigures:
    received: int  # applications received (申請日) in the period
    granted: Tally  # 交付決定 in the period, with the granted amount
    paid: Tally  # payments made in the period, with the amount paid
    by_program: Labelled[ProgramSubsidies]  # every program, registration order (zeros included)


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """The figures of one period (a month, a 年度 to date, a whole 年度), both ends inclusive."""

    period_from: date
    period_to: date
    consultations: ConsultationFigures
    loans: LoanFigures
    dispatch: DispatchFigures
    streets: StreetFigures
    subsidies: SubsidyFigures


@dataclass(frozen=True, slots=True)
class PeriodReport(PeriodFigures):
    """月次報告: the month, beside the same month last year and the 年度 to date."""

    same_month_last_year: PeriodFigures
    fiscal_year_to_date: PeriodFigures


@dataclass(frozen=True, slots=True)
class FiscalYearReport:
    """年度報告: the twelve months April → March, the whole 年度, and what each initiative of
    the plan achieved over it."""

    fiscal_year: int
    period_from: date
    period_to: date
    months: tuple[PeriodFigures, ...]
    totals: PeriodFigures
    initiatives: InitiativeOverview
