"""Demo loan data: funds with dated terms, designated banks, loan cases, セーフティネット認定.

Called by ``DemoService.fill`` inside its transaction. Every loan case is planned as a walk over
the domain's ``STEPS`` towards a chosen final state, and each step is checked with
``check_step`` before anything is written: the demo never holds a history the app itself would
refuse (referral ≥ 3 business days after receipt, amounts within referral, approval and limit,
口数, terms and grace within the fund's). The columns each step sets mirror
``LoanService._changes`` and the events carry the same data (values, before, warnings), so
undo works on demo cases as on real ones.

Cases get ids in the order they were opened; all rows go in with bulk inserts.
"""

from __future__ import annotations

import calendar
import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from consult_desk.db.models import (
    Bank,
    BankBranch,
    Consultation,
    Initiative,
    LoanCase,
    LoanCaseEvent,
    LoanProgram,
    LoanProgramTerms,
    SafetyNetCertification,
)
from consult_desk.domain import loan_schedule, safety_net
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range, wareki_fiscal_year
from consult_desk.domain.loans import (
    ACTIVE_LOAN,
    BEFORE_EXECUTION,
    ELIGIBILITY_FIELDS,
    REFERRED_PENDING,
    STEPS,
    CaseFacts,
    Findings,
    LoanState,
    StepInput,
    StepName,
    SubsidyStopReason,
    add_business_days,
    check_step,
    earliest_referral,
    is_business_day,
)
from consult_desk.domain.safety_net import SafetyNetKind
from consult_desk.domain.text import normalize, normalize_lines
from consult_desk.services.loans import case_changes

S = LoanState
N = StepName

# Loan cases per business in a large demo; small demos get more so every state shows up.
BUSINESSES_PER_CASE = 15
CHUNK = 5000
FALLBACK_INITIATIVE = "1-2-1"  # 資金繰りの支援, as LoanService uses


@dataclass(frozen=True, slots=True)
class _Figures:
    limit: int
    max_term: int
    max_grace: int
    nominal: str
    resident: str  # 利子補給率 区民
    general: str  # 利子補給率 一般
    bonus: str | None  # 町会・商店街 加入の加算
    fee_ratio: str | None  # 保証料補助 %
    fee_cap: int | None
    concurrent: int  # 口数


@dataclass(frozen=True, slots=True)
class _Fund:
    name: str
    is_startup: bool
    initiative: str  # plan code of the initiative it serves
    notes: str
    purposes: tuple[str, ...]
    weight: int
    previous: _Figures | None  # terms of the 年度 before the anchor's (None: this year only)
    current: _Figures


def _funds(anchor_year: int) -> tuple[_Fund, ...]:
    """The ward's funds; rates went up a little from the previous 年度 to the anchor's."""
    special = f"{wareki_fiscal_year(anchor_year)}特別資金"
    return (
        _Fund(
            "営業資金",
            False,
            "1-2-1",
            "運転資金（仕入・外注・人件費・買掛金・手形決済）",
            ("仕入資金", "外注費・人件費の支払い", "年末の季節資金", "買掛金の支払い"),
            34,
            _Figures(20_000_000, 84, 12, "2.1", "1.6", "1.2", "0.2", "50", 300_000, 2),
            _Figures(20_000_000, 84, 12, "2.3", "1.7", "1.3", "0.2", "50", 300_000, 2),
        ),
        _Fund(
            "設備資金",
            False,
            "1-2-1",
            "機械・車両・店舗改装・備品（見積書が必要、リースは対象外）",
            ("厨房設備の更新", "印刷機の入替え", "店舗内装工事", "配送用車両の購入"),
            16,
            _Figures(25_000_000, 120, 12, "2.2", "1.7", "1.2", "0.2", "50", 400_000, 2),
            _Figures(25_000_000, 120, 12, "2.4", "1.8", "1.3", "0.2", "50", 400_000, 2),
        ),
        _Fund(
            "小口営業資金",
            False,
            "1-2-1",
            "小規模な運転資金",
            ("仕入資金", "運転資金（売掛金の回収まで）"),
            14,
            _Figures(5_000_000, 60, 6, "1.9", "1.6", "1.2", "0.1", "100", 150_000, 1),
            _Figures(5_000_000, 60, 6, "2.1", "1.7", "1.3", "0.1", "100", 150_000, 1),
        ),
        _Fund(
            "小口設備資金",
            False,
            "1-2-1",
            "小規模な設備資金（見積書が必要）",
            ("パソコン・複合機の購入", "空調設備の入替え"),
            8,
            _Figures(5_000_000, 84, 6, "1.9", "1.6", "1.2", "0.1", "100", 150_000, 1),
            _Figures(5_000_000, 84, 6, "2.1", "1.7", "1.3", "0.1", "100", 150_000, 1),
        ),
        _Fund(
            "小規模企業特別資金",
            False,
            "1-2-1",
            "従業員の少ない小規模企業向けの運転・設備資金",
            ("運転資金（売上減少への対応）", "店舗の小規模改装"),
            10,
            _Figures(10_000_000, 84, 12, "2.0", "1.7", "1.3", "0.1", "100", 250_000, 1),
            _Figures(10_000_000, 84, 12, "2.2", "1.8", "1.4", "0.1", "100", 250_000, 1),
        ),
        _Fund(
            "起業資金",
            True,
            "1-1-1",
            "区内で起業する方・起業後1年未満の方（起業計画書の面談が必要、実行6か月後に経営診断）",
            ("開業資金（内装・備品）", "開業資金（運転資金）", "法人設立後の設備・運転資金"),
            10,
            _Figures(20_000_000, 84, 12, "2.1", "1.7", "1.1", "0.2", "100", 300_000, 1),
            _Figures(20_000_000, 84, 12, "2.3", "1.9", "1.3", "0.2", "100", 300_000, 1),
        ),
        _Fund(
            special,
            False,
            "1-2-1",
            "物価高騰の影響を受けた事業者向け（年度限り）",
            ("物価高騰に伴う運転資金", "原材料費の上昇への対応"),
            8,
            None,
            _Figures(10_000_000, 60, 12, "1.6", "1.4", "1.0", "0.2", "100", 200_000, 1),
        ),
    )


# 指定金融機関 near the ward office, with the branches cases go to (none: head office only).
BANKS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("みずほ銀行", ("神田支店", "九段支店"), 12),
    ("三井住友銀行", ("神田支店",), 9),
    ("三菱UFJ銀行", ("神保町支店",), 9),
    ("りそな銀行", ("神田支店",), 8),
    ("朝日信用金庫", ("本店営業部", "神田支店"), 18),
    ("東京シティ信用金庫", ("神田支店",), 14),
    ("城北信用金庫", (), 6),
    ("さわやか信用金庫", (), 6),
)
INTERVIEWERS = ("山本 修", "小川 美紀", "加藤 隆", "吉田 直子", "森田 浩一")

# How often each final state appears (after one of each, which small demos also get).
STATE_WEIGHTS: dict[LoanState, int] = {
    S.INQUIRY: 3,
    S.PLAN_COACHING: 2,
    S.RECEIVED: 2,
    S.WARD_REVIEW: 3,
    S.ON_HOLD: 2,
    S.REFERRAL_ISSUED: 3,
    S.BANK_REVIEW: 4,
    S.CGC_REVIEW: 3,
    S.GUARANTEED: 2,
    S.EXECUTED: 2,
    S.GRACE: 12,
    S.REPAYING: 30,
    S.REPAID: 5,
    S.REFUSED_BY_WARD: 3,
    S.DECLINED_BANK: 4,
    S.DECLINED_CGC: 3,
    S.WITHDRAWN: 6,
    S.EXPIRED: 1,
    S.SUBROGATED: 2,
}
PENDING_STATES = BEFORE_EXECUTION

_REFUSALS = (
    ("eligible_taxes_paid", "法人住民税の滞納があり、あっせん要件を満たさない"),
    ("eligible_no_virtual_office", "バーチャルオフィスで区内に営業実態がない"),
    ("eligible_head_office", "本店登記はあるが区内での営業実態が確認できない"),
    ("eligible_industry_covered", "保証協会の保証対象外の業種"),
)
_HOLDS = ("直近2期分の決算書が不足", "見積書の提出待ち", "納税証明書の提出待ち", "試算表の提出待ち")
_BANK_DECLINES = ("金融機関の審査で返済能力が不足と判断", "既存借入の返済に延滞があるため")
_CGC_DECLINES = ("保証協会の審査で謝絶（業績の悪化）", "保証協会の審査で謝絶（資金使途が不明確）")
_WITHDRAWALS = ("他の金融機関のプロパー融資を利用", "資金需要がなくなった", "自己資金で対応")
_STOP_NOTES = {
    SubsidyStopReason.MOVED_OUT: "本店を区外へ移転",
    SubsidyStopReason.CLOSED: "廃業届の提出あり",
    SubsidyStopReason.LEFT_CHOKAI: "町会を退会",
    SubsidyStopReason.RESCHEDULED: "条件変更で返済期間が資金の最長期間を超えた",
}
_COACHING_NOTES = (
    "起業計画書の骨子を確認。売上見込みの根拠を補強するよう助言。",
    "資金計画と自己資金の確認。開業費の見積書を依頼。",
    "起業計画書の最終確認。受付に進めることを確認。",
)


@dataclass(frozen=True, slots=True)
class DemoLoans:
    programs: int
    banks: int
    cases: int
    events: int
    certifications: int
    by_state: dict[LoanState, int]


@dataclass(slots=True)
class _Terms:
    id: int
    program_id: int
    valid_from: date
    valid_to: date
    figures: _Figures


@dataclass(slots=True)
class _Program:
    id: int
    fund: _Fund
    initiative_id: int
    terms: list[_Terms]

    def terms_on(self, day: date) -> _Terms | None:
        return next((t for t in self.terms if t.valid_from <= day <= t.valid_to), None)


@dataclass(slots=True)
class _Case:
    """One planned case: its columns (as LoanCase) and its events in order."""

    cols: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    interviews: int = 0
    receive_event: dict[str, Any] | None = None
    refer_event: dict[str, Any] | None = None

    @property
    def state(self) -> LoanState:
        return LoanState(self.cols["status"])

    @property
    def last_day(self) -> date:
        """The day of the latest event (a coaching interview may follow the last step)."""
        return max(e["occurred_on"] for e in self.events)


class _Failed(Exception):
    """A plan that does not fit before the anchor date; the caller tries other choices."""


# --- master data ----------------------------------------------------------------------------


def _master(
    session: Session, anchor: date, now: datetime, officer: int | None
) -> tuple[list[_Program], list[tuple[int, list[int]]]]:
    """Get or create the funds (with terms for the previous and the anchor's 年度) and banks."""
    year = fiscal_year(anchor)
    initiatives = dict(session.execute(select(Initiative.code, Initiative.id)).all())
    stamps = {"created_at": now, "updated_at": now, "created_by_id": officer}
    programs: list[_Program] = []
    for fund in _funds(year):
        program = session.execute(
            select(LoanProgram).where(LoanProgram.name == fund.name)
        ).scalar_one_or_none()
        if program is None:
            program = LoanProgram(
                name=fund.name,
                is_startup=fund.is_startup,
                notes=fund.notes,
                initiative_id=initiatives.get(fund.initiative),
                **stamps,
            )
            session.add(program)
            session.flush()
        existing = session.execute(
            select(LoanProgramTerms).where(LoanProgramTerms.program_id == program.id)
        ).scalars()
        terms = [
            _Terms(t.id, program.id, t.valid_from, t.valid_to or date.max, _figures_of(t))
            for t in existing
        ]
        if not terms:  # a fund someone set up already keeps its own terms
            for fy, figures in ((year - 1, fund.previous), (year, fund.current)):
                if figures is None:
                    continue
                first, last = fiscal_year_range(fy)
                row = LoanProgramTerms(
                    program_id=program.id,
                    valid_from=first,
                    valid_to=last,
                    limit_amount=figures.limit,
                    max_term_months=figures.max_term,
                    max_grace_months=figures.max_grace,
                    nominal_rate=Decimal(figures.nominal),
                    subsidy_rate_resident=Decimal(figures.resident),
                    subsidy_rate_general=Decimal(figures.general),
                    chokai_bonus_rate=_decimal(figures.bonus),
                    guarantee_fee_subsidy_ratio=_decimal(figures.fee_ratio),
                    guarantee_fee_subsidy_cap=figures.fee_cap,
                    max_concurrent_loans=figures.concurrent,
                    **stamps,
                )
                session.add(row)
                session.flush()
                terms.append(_Terms(row.id, program.id, first, last, figures))
        if not program.active or program.is_startup != fund.is_startup:
            continue  # switched off, or a same-named fund of another kind: no demo cases
        initiative = program.initiative_id or initiatives[FALLBACK_INITIATIVE]
        programs.append(_Program(program.id, fund, initiative, terms))
    banks: list[tuple[int, list[int]]] = []
    for name, branch_names, _ in BANKS:
        bank = session.execute(select(Bank).where(Bank.name == name)).scalar_one_or_none()
        if bank is None:
            bank = Bank(name=name, **stamps)
            session.add(bank)
            session.flush()
        branches = dict(
            session.execute(
                select(BankBranch.name, BankBranch.id).where(BankBranch.bank_id == bank.id)
            ).all()
        )
        for branch_name in branch_names:
            if branch_name not in branches:
                branch = BankBranch(bank_id=bank.id, name=branch_name, **stamps)
                session.add(branch)
                session.flush()
                branches[branch_name] = branch.id
        banks.append((bank.id, [branches[b] for b in branch_names]))
    return programs, banks


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _figures_of(t: LoanProgramTerms) -> _Figures:
    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return _Figures(
        t.limit_amount,
        t.max_term_months,
        t.max_grace_months,
        str(t.nominal_rate),
        str(t.subsidy_rate_resident),
        str(t.subsidy_rate_general),
        text(t.chokai_bonus_rate),
        text(t.guarantee_fee_subsidy_ratio),
        t.guarantee_fee_subsidy_cap,
        t.max_concurrent_loans,
    )


# --- planning one case ------------------------------------------------------------------------


def _reachable() -> dict[tuple[LoanState, bool], frozenset[LoanState]]:
    """For each state (and whether the fund is 起業資金): the states a walk can still reach."""
    found: dict[tuple[LoanState, bool], frozenset[LoanState]] = {}
    for startup in (False, True):
        for state in LoanState:
            seen, todo = {state}, [state]
            while todo:
                here = todo.pop()
                for step in STEPS.values():
                    allowed = here in step.sources and _step_allowed(step.name, startup)
                    if allowed and step.target not in seen:
                        seen.add(step.target)
                        todo.append(step.target)
            found[(state, startup)] = frozenset(seen)
    return found


def _step_allowed(name: StepName, startup: bool) -> bool:
    # 起業資金 always goes through coaching first; other funds never do.
    if name == N.START_COACHING:
        return startup
    return True


REACH = _reachable()
# How likely a walk takes a step when it has a choice (unlisted: 1).
_PREFERENCE = {
    N.HOLD: 0.25,
    N.TO_CGC: 3.0,  # most ward loans carry a CGC guarantee
}


def _path(rng: random.Random, target: LoanState, startup: bool) -> list[StepName]:
    """A walk over STEPS from 相談 that ends in ``target``."""
    state, path, holds = S.INQUIRY, [], 0
    while state != target:
        options = [
            s
            for s in STEPS.values()
            if state in s.sources
            and _step_allowed(s.name, startup)
            and target in REACH[(s.target, startup)]
            and not (s.name == N.HOLD and holds >= 1 and target != S.ON_HOLD)
            and not (s.name == N.RECEIVE and startup and state == S.INQUIRY)
        ]
        if not options:
            raise AssertionError(f"no way from {state} to {target}")
        if len(options) == 1:
            step = options[0]
        else:
            weights = [_PREFERENCE.get(s.name, 1.0) for s in options]
            step = rng.choices(options, weights)[0]
        holds += step.name == N.HOLD
        path.append(step.name)
        state = step.target
    return path


def _next_business_day(day: date) -> date:
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def _add_months(day: date, months: int) -> date:
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _round_down(amount: int, unit: int) -> int:
    return amount // unit * unit


@dataclass(slots=True)
class _Choices:
    """What the applicant and the banks decided, drawn before the dates are laid out."""

    requested: int
    referral: int
    approved: int
    executed: int
    term: int
    grace: int
    fee_rate: float
    bank: tuple[int, int | None]
    purpose: str
    interviews: int
    gaps: dict[StepName, int]


class _Planner:
    def __init__(
        self,
        rng: random.Random,
        anchor: date,
        window_start: date,
        officer: int | None,
        banks: list[tuple[int, list[int]]],
    ) -> None:
        self.rng = rng
        self.anchor = anchor
        self.window_start = window_start
        self.officer = officer
        self.banks = banks
        self.bank_weights = [w for _, _, w in BANKS][: len(banks)] or [1] * len(banks)

    def choices(self, program: _Program, terms: _Terms, room: int) -> _Choices:
        rng = self.rng
        f = terms.figures
        ceiling = min(f.limit, room)
        unit = 500_000 if ceiling >= 3_000_000 else 100_000
        low = min(1_000_000, ceiling)
        drawn = _round_down(int(rng.triangular(low, ceiling, max(low, ceiling * 0.4))), unit)
        requested = min(ceiling, max(low, drawn))
        referral = requested
        if rng.random() < 0.15 and requested - unit >= low:
            referral = requested - unit  # the ward referred less than asked
        approved = referral
        if rng.random() < 0.15:
            approved = max(100_000, _round_down(int(referral * 0.8), 100_000))
        executed = approved
        terms_months = [t for t in (36, 48, 60, 72, 84, 96, 120) if t <= f.max_term]
        term = rng.choice(terms_months[-3:])
        graces = [g for g in (0, 3, 6, 6, 12) if g <= f.max_grace and g < term]
        grace = rng.choice(graces)
        bank_id, branches = rng.choices(self.banks, self.bank_weights)[0]
        branch = rng.choice(branches) if branches else None
        gaps = {
            N.START_COACHING: rng.randint(0, 3),
            N.RECEIVE: rng.choice((0, 0, 0, 2, 5, 10)),
            N.START_REVIEW: rng.choice((0, 0, 1, 2)),
            N.HOLD: rng.randint(1, 5),
            N.RESUME: rng.randint(5, 20),
            N.REFUSE: rng.randint(1, 10),
            N.REFER: rng.randint(0, 4),
            N.BANK_RECEIVED: rng.randint(2, 14),
            N.TO_CGC: rng.randint(3, 10),
            N.GUARANTEE: rng.randint(7, 21),
            N.DECLINE_BANK: rng.randint(10, 30),
            N.DECLINE_CGC: rng.randint(7, 25),
            N.EXECUTE: rng.randint(3, 14),
            N.WITHDRAW: rng.randint(3, 30),
            N.EXPIRE: rng.randint(90, 100),
            N.REPAY: rng.randint(90, 400),
            N.SUBROGATE: rng.randint(120, 400),
        }
        return _Choices(
            requested=requested,
            referral=referral,
            approved=approved,
            executed=executed,
            term=term,
            grace=grace,
            fee_rate=rng.uniform(0.02, 0.05),
            bank=(bank_id, branch),
            purpose=rng.choice(program.fund.purposes),
            interviews=rng.randint(1, 3),
            gaps=gaps,
        )

    def plan(
        self,
        target: LoanState,
        program: _Program,
        business: dict[str, Any],
        others: tuple[int, int],
    ) -> _Case:
        """A case of ``business`` that ends in ``target``; _Failed when it cannot fit."""
        rng = self.rng
        path = _path(rng, target, program.fund.is_startup)
        # Amounts within the limit of the anchor's terms; the referral re-checks against the
        # terms of its own day.
        terms = program.terms_on(self.anchor) or program.terms[-1]
        room = terms.figures.limit - others[1]
        if room < 100_000:
            raise _Failed
        choice = self.choices(program, terms, room)
        if N.START_GRACE in path:  # 据置 only when the loan has a grace period
            choice.grace = choice.grace or min(6, terms.figures.max_grace)
            if choice.grace == 0:
                raise _Failed
        elif N.START_REPAYING in path:
            choice.grace = 0
        seed = rng.getrandbits(32)
        # How long the walk takes, laid out once unchecked from the window's start.
        estimate = self._layout(path, choice, self.window_start, business, program, others, seed)
        span = (estimate.last_day - self.window_start).days
        latest = self.anchor - timedelta(days=span)
        if target in PENDING_STATES:  # still being handled: recent, so their ages look real
            opened = latest - timedelta(days=rng.randint(0, 75))
        elif target == S.EXECUTED:
            opened = latest - timedelta(days=rng.randint(0, 14))
        elif target == S.GRACE:  # executed less than the grace period before the anchor
            opened = latest - timedelta(days=rng.randint(0, max(0, choice.grace * 30 - 20)))
        else:
            if latest < self.window_start:
                raise _Failed
            opened = self.window_start + timedelta(
                days=rng.randint(0, (latest - self.window_start).days)
            )
        opened = max(opened, self.window_start)
        for _ in range(4):  # business days and the referral rule can push the end a little
            opened = _next_business_day(opened)
            case = self._layout(path, choice, opened, business, program, others, seed, check=True)
            overshoot = (case.last_day - self.anchor).days
            if overshoot <= 0:
                break
            opened -= timedelta(days=overshoot + 1)
            if opened < self.window_start:
                raise _Failed
        else:
            raise _Failed
        executed_on = case.cols["executed_on"]
        if target == S.GRACE and _add_months(executed_on, choice.grace) <= self.anchor:
            raise _Failed
        return case

    def _layout(
        self,
        path: list[StepName],
        choice: _Choices,
        opened: date,
        business: dict[str, Any],
        program: _Program,
        others: tuple[int, int],
        seed: int,
        *,
        check: bool = False,
    ) -> _Case:
        """Lay the walk out in time from ``opened`` and apply each step as the service would
        (checked by check_step when ``check``)."""
        rng = random.Random(seed)  # the same reasons and gaps for every layout of one plan
        bank_id, branch_id = choice.bank
        case = _Case(
            cols={
                "business_id": business["id"],
                "consultation_id": None,
                "program_id": program.id,
                "initiative_id": program.initiative_id,
                "status": S.INQUIRY.value,
                "status_since": opened,
                "officer_id": self.officer,
                "interviewer": "",
                "receipt_number": "",
                "received_on": opened,
                "requested_amount": choice.requested,
                "purpose": normalize_lines(choice.purpose),
                "bank_id": bank_id,
                "branch_id": branch_id,
                "referral_number": "",
                "referred_on": None,
                "referral_amount": None,
                "terms_id": None,
                "nominal_rate": None,
                "borrower_rate": None,
                "subsidy_rate": None,
                "guarantee_fee_subsidy_ratio": None,
                "guarantee_fee_subsidy_cap": None,
                "max_term_months": None,
                "max_grace_months": None,
                "limit_amount": None,
                "approved_amount": None,
                "guarantee_fee": None,
                "executed_on": None,
                "executed_amount": None,
                "term_months": None,
                "grace_months": None,
                **dict.fromkeys(ELIGIBILITY_FIELDS),
                "representative_residence": None,
                "chokai_member": None,
                "closed_on": None,
                "close_reason": "",
                "subsidy_stopped_on": None,
                "subsidy_stop_reason": "",
            }
        )
        case.events.append(_event("transition", None, S.INQUIRY, opened, "", {"opened": True}))
        interviewer = normalize(rng.choice(INTERVIEWERS))
        refusal = rng.choice(_REFUSALS)
        final = STEPS[path[-1]].target if path else S.INQUIRY
        day = opened
        for name in path:
            if name == N.RECEIVE and case.interviews:
                day = day + timedelta(days=rng.randint(3, 14))
            elif name == N.START_GRACE:
                pass  # the grace period starts with the loan
            elif name == N.START_REPAYING:
                day = _add_months(case.cols["executed_on"], choice.grace)
            else:
                day = day + timedelta(days=choice.gaps.get(name, 0))
            day = _next_business_day(day)
            if name == N.REFER:
                day = max(day, earliest_referral(case.cols["received_on"]))
            values: dict[str, Any] = {}
            if name in (N.START_COACHING, N.RECEIVE):
                values["interviewer"] = interviewer
            if name == N.RECEIVE:
                values |= {"receipt_number": "（採番）", "requested_amount": choice.requested}
            elif name == N.START_REVIEW:
                values |= dict.fromkeys(ELIGIBILITY_FIELDS, True)
                if final == S.REFUSED_BY_WARD:
                    values[refusal[0]] = False
            elif name == N.HOLD:
                values |= {
                    "reason": rng.choice(_HOLDS),
                    "due_on": day + timedelta(days=14),
                }
            elif name == N.REFUSE:
                values["reason"] = refusal[1]
            elif name == N.REFER:
                values |= {
                    "referral_number": "（採番）",
                    "referral_amount": choice.referral,
                    "bank_id": bank_id,
                    "branch_id": branch_id,
                }
            elif name == N.GUARANTEE:
                values |= {
                    "approved_amount": choice.approved,
                    "guarantee_fee": _round_down(int(choice.approved * choice.fee_rate), 100),
                }
            elif name == N.EXECUTE:
                ceiling = case.cols["approved_amount"] or case.cols["referral_amount"]
                values |= {
                    "executed_amount": min(choice.executed, ceiling),
                    "term_months": min(choice.term, case.cols["max_term_months"]),
                    "grace_months": min(choice.grace, case.cols["max_grace_months"]),
                    "nominal_rate": case.cols["nominal_rate"],
                }
            elif name == N.DECLINE_BANK:
                values["reason"] = rng.choice(_BANK_DECLINES)
            elif name == N.DECLINE_CGC:
                values["reason"] = rng.choice(_CGC_DECLINES)
            elif name == N.WITHDRAW:
                values["reason"] = rng.choice(_WITHDRAWALS)
            elif name == N.EXPIRE:
                values["reason"] = "あっせん書の有効期限（3か月）を経過"
            elif name == N.REPAY:
                values["reason"] = "繰上完済"
            elif name == N.SUBROGATE:
                values["reason"] = "延滞が続き保証協会が代位弁済"
            self._apply(case, StepInput(name, day, **values), business, program, others, check)
            if name == N.START_COACHING:
                for n in range(choice.interviews):
                    day = _next_business_day(day + timedelta(days=rng.randint(7, 21)))
                    note = _COACHING_NOTES[min(n, len(_COACHING_NOTES) - 1)]
                    if n == choice.interviews - 1:
                        note = _COACHING_NOTES[-1]
                    case.events.append(
                        _event(
                            "interview",
                            S.PLAN_COACHING,
                            S.PLAN_COACHING,
                            day,
                            note,
                            {"interviewer": interviewer},
                        )
                    )
                    case.interviews += 1
        return case

    def _apply(
        self,
        case: _Case,
        value: StepInput,
        business: dict[str, Any],
        program: _Program,
        others: tuple[int, int],
        check: bool,
    ) -> None:
        cols = case.cols
        step = STEPS[value.step]
        terms = None
        if value.step == N.REFER:
            terms = program.terms_on(value.occurred_on)
            if terms is None and not check:
                terms = program.terms[-1]
        facts = CaseFacts(
            state=case.state,
            is_startup=program.fund.is_startup,
            received_on=cols["received_on"],
            in_ward_since=business["in_ward_since"],
            founded_on=business["founded_on"],
            referral_amount=cols["referral_amount"],
            approved_amount=cols["approved_amount"],
            limit_amount=terms.figures.limit if terms else cols["limit_amount"],
            max_term_months=cols["max_term_months"],
            max_grace_months=cols["max_grace_months"],
            max_concurrent_loans=terms.figures.concurrent if terms else None,
            other_loans=others[0],
            other_outstanding=others[1],
            coaching_interviews=case.interviews,
            status_since=cols["status_since"],
        )
        findings = check_step(facts, value, self.anchor) if check else Findings()
        if findings.errors:
            raise _Failed(findings.errors)
        changes = _changes(cols, value, terms, business)
        before = {name: _json_value(cols[name]) for name in changes}
        cols.update(changes)
        event = _event(
            "transition",
            LoanState(str(before["status"])),
            step.target,
            value.occurred_on,
            normalize_lines(value.reason),
            {
                "step": step.name.value,
                "values": {k: _json_value(v) for k, v in value.values().items()},
                "before": before,
                "warnings": [f"{w.field}:{w.code}" for w in findings.warnings],
            },
        )
        case.events.append(event)
        if value.step == N.RECEIVE:
            case.receive_event = event
        elif value.step == N.REFER:
            case.refer_event = event


def _changes(
    cols: dict[str, Any], value: StepInput, terms: _Terms | None, business: dict[str, Any]
) -> dict[str, Any]:
    """What LoanService sets for this step (the same ``case_changes``), from plain rows."""
    return case_changes(
        value,
        referral=_referral(value, terms, business) if value.step == N.REFER else {},
        subsidy_rate=cols["subsidy_rate"],
        subsidy_stopped=cols["subsidy_stopped_on"] is not None,
    )


def _referral(value: StepInput, terms: _Terms | None, business: dict[str, Any]) -> dict[str, Any]:
    """The terms snapshot a referral takes (LoanService._referral, from plain rows)."""
    assert terms is not None  # check_step refused the step otherwise
    f = terms.figures
    nominal = Decimal(f.nominal)
    resident = business["representative_residence"] == "resident"
    member = bool(business["chokai_name"] or business.get("street_association_id"))
    subsidy = Decimal(f.resident if resident else f.general)
    if member and f.bonus:
        subsidy = min(subsidy + Decimal(f.bonus), nominal)
    return {
        "referral_number": normalize(value.referral_number),
        "referral_amount": value.referral_amount,
        "referred_on": value.occurred_on,
        "bank_id": value.bank_id,
        "branch_id": value.branch_id,
        "terms_id": terms.id,
        "nominal_rate": nominal,
        "subsidy_rate": subsidy,
        "borrower_rate": nominal - subsidy,
        "guarantee_fee_subsidy_ratio": _decimal(f.fee_ratio),
        "guarantee_fee_subsidy_cap": f.fee_cap,
        "max_term_months": f.max_term,
        "max_grace_months": f.max_grace,
        "limit_amount": f.limit,
        "representative_residence": business["representative_residence"],
        "chokai_member": member,
    }


def _json_value(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _event(
    kind: str,
    from_state: LoanState | None,
    to_state: LoanState,
    on: date,
    reason: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    return {
        "kind": kind,
        "from_status": from_state.value if from_state else None,
        "to_status": to_state.value,
        "occurred_on": on,
        "reason": reason,
        "data": data,
    }


# --- notes on active loans ------------------------------------------------------------------


def _loan_terms(cols: dict[str, Any]) -> loan_schedule.LoanTerms:
    return loan_schedule.LoanTerms(
        executed_on=cols["executed_on"],
        amount=cols["executed_amount"],
        term_months=cols["term_months"],
        grace_months=cols["grace_months"],
        nominal_rate=cols["nominal_rate"],
        subsidy_rate=min(cols["subsidy_rate"], cols["nominal_rate"]),
    )


def _state_on(case: _Case, day: date) -> LoanState:
    state = S.INQUIRY
    for event in case.events:
        if event["kind"] == "transition" and event["occurred_on"] <= day:
            state = LoanState(event["to_status"])
    return state


def _insert_note(case: _Case, kind: str, day: date, reason: str, data: dict[str, Any]) -> None:
    """Add a note event in date order (after the transitions of the same day)."""
    state = _state_on(case, day)
    at = len(case.events)
    while at > 0 and case.events[at - 1]["occurred_on"] > day:
        at -= 1
    case.events.insert(at, _event(kind, state, state, day, reason, data))


def _add_prepayment(rng: random.Random, case: _Case, anchor: date) -> bool:
    cols = case.cols
    first = _add_months(cols["executed_on"], 2)
    last = cols["closed_on"] or anchor
    last = min(last - timedelta(days=1), anchor)
    if first > last:
        return False
    paid_on = _next_business_day(first + timedelta(days=rng.randint(0, (last - first).days)))
    if paid_on > last:
        return False
    balance = loan_schedule.balance_on(_loan_terms(cols), paid_on)
    amount = _round_down(int(balance * rng.uniform(0.1, 0.4)), 100_000)
    if amount < 100_000 or amount >= balance:
        return False
    _insert_note(case, "prepayment", paid_on, "", {"amount": amount})
    return True


def _stop_subsidy(rng: random.Random, case: _Case, anchor: date) -> bool:
    cols = case.cols
    first = _add_months(cols["executed_on"], 1)
    if first > anchor:
        return False
    stopped_on = _next_business_day(first + timedelta(days=rng.randint(0, (anchor - first).days)))
    if stopped_on > anchor:
        return False
    reason = rng.choice(list(_STOP_NOTES))
    cols["subsidy_stopped_on"] = stopped_on
    cols["subsidy_stop_reason"] = reason.value
    _insert_note(case, "subsidy_stop", stopped_on, _STOP_NOTES[reason], {"reason": reason.value})
    return True


# --- the whole set ----------------------------------------------------------------------------


def case_count(businesses: int) -> int:
    """One case per 15 businesses; small demos get up to two of each state."""
    return max(round(businesses / BUSINESSES_PER_CASE), min(businesses // 3, 2 * len(LoanState)))


def fill(
    session: Session,
    seed: int,
    businesses: Sequence[dict[str, Any]],
    anchor: date,
    window_start: date,
    now: datetime,
    officer: int | None,
) -> DemoLoans:
    """Add funds, banks, loan cases with their history and SN certifications (bulk inserts)."""
    # A generator of its own: the businesses and consultations of a seed stay as they were.
    rng = random.Random(f"consult-desk demo loans {seed}")
    programs, banks = _master(session, anchor, now, officer)
    if not programs or not banks:
        return DemoLoans(len(programs), len(banks), 0, 0, 0, {})
    planner = _Planner(rng, anchor, window_start, officer, banks)
    plans = _plan_cases(rng, planner, programs, businesses, case_count(len(businesses)))
    _link_consultations(session, rng, plans)
    by_state: dict[LoanState, int] = defaultdict(int)
    for case in plans:
        by_state[case.state] += 1
    events = _write_cases(session, plans, now, officer)
    certifications = _certifications(session, rng, businesses, anchor, now, officer)
    return DemoLoans(len(programs), len(banks), len(plans), events, certifications, dict(by_state))


def _plan_cases(
    rng: random.Random,
    planner: _Planner,
    programs: list[_Program],
    businesses: Sequence[dict[str, Any]],
    count: int,
) -> list[_Case]:
    if count == 0 or not businesses:
        return []
    anchor, window_start = planner.anchor, planner.window_start
    year_ago = window_start - timedelta(days=366)
    established = (
        [
            b
            for b in businesses
            if b["kind"] != "prospective" and b["in_ward_since"] and b["in_ward_since"] <= year_ago
        ]
        or [b for b in businesses if b["kind"] != "prospective"]
        or list(businesses)
    )
    recent = anchor - timedelta(days=3 * 365)
    founders = [
        b for b in businesses if b["kind"] == "prospective" or (b["founded_on"] or anchor) >= recent
    ] or list(businesses)
    startup = [p for p in programs if p.fund.is_startup]
    regular = [p for p in programs if not p.fund.is_startup]
    states = list(STATE_WEIGHTS)
    weights = list(STATE_WEIGHTS.values())
    # Every state once (shuffled), then by weight.
    targets = rng.sample(states, len(states)) if count >= len(states) else []
    targets += rng.choices(states, weights, k=count - len(targets))
    # Loans counting against 口数 and the limit, per (business, program): (final state, amount).
    holding: dict[tuple[int, int], list[tuple[LoanState, int]]] = defaultdict(list)
    used: dict[int, int] = defaultdict(int)
    plans: list[_Case] = []
    for target in targets:
        for _attempt in range(40):
            wants_startup = target == S.PLAN_COACHING or (startup and rng.random() < 0.1)
            pool_programs = startup if wants_startup and startup else regular or startup
            program = rng.choices(pool_programs, [p.fund.weight for p in pool_programs])[0]
            if target == S.PLAN_COACHING and not program.fund.is_startup:
                break  # no 起業資金 in this database: this state cannot be shown
            pool = founders if program.fund.is_startup else established
            business = rng.choice(pool)
            if used[business["id"]] >= 2:
                continue
            key = (business["id"], program.id)
            counted = [
                (state, amount)
                for state, amount in holding[key]
                if state in ACTIVE_LOAN or state in REFERRED_PENDING
            ]
            terms = program.terms_on(anchor) or program.terms[-1]
            if len(counted) >= terms.figures.concurrent and target in (
                ACTIVE_LOAN | REFERRED_PENDING
            ):
                continue
            others = (len(counted), sum(a for _, a in counted))
            try:
                case = planner.plan(target, program, business, others)
            except _Failed:
                continue
            _decorate(rng, case, anchor)
            plans.append(case)
            used[business["id"]] += 1
            amount = case.cols["executed_amount"] or case.cols["referral_amount"] or 0
            holding[key].append((case.state, amount))
            break
    _force_notes(rng, plans, anchor)
    _number(plans)
    return plans


def _decorate(rng: random.Random, case: _Case, anchor: date) -> None:
    """Prepayments on some running loans, a subsidy stop on a few."""
    if case.cols["executed_on"] is None:
        return
    if case.state in (S.GRACE, S.REPAYING, S.REPAID) and rng.random() < 0.25:
        _add_prepayment(rng, case, anchor)
    if case.state in (S.GRACE, S.REPAYING) and rng.random() < 0.05:
        _stop_subsidy(rng, case, anchor)


def _force_notes(rng: random.Random, plans: list[_Case], anchor: date) -> None:
    """At least one prepayment and one subsidy stop on running loans, so the demo shows them."""
    running = sorted(
        (c for c in plans if c.state in (S.GRACE, S.REPAYING)),
        key=lambda c: c.cols["executed_on"],
    )
    if not any(e["kind"] == "prepayment" for c in plans for e in c.events):
        for case in running:
            if _add_prepayment(rng, case, anchor):
                break
    if not any(c.cols["subsidy_stopped_on"] for c in running):
        for case in reversed(running):
            if _stop_subsidy(rng, case, anchor):
                break


def _number(plans: list[_Case]) -> None:
    """Case order by opening date; receipt and あっせん書 numbers as serials per 年度."""
    plans.sort(key=lambda c: (c.events[0]["occurred_on"], c.cols["business_id"]))
    receipts: dict[int, int] = defaultdict(int)
    referrals: dict[int, int] = defaultdict(int)
    received = sorted((c for c in plans if c.receive_event), key=lambda c: c.cols["received_on"])
    for case in received:
        fy = fiscal_year(case.cols["received_on"])
        receipts[fy] += 1
        number = f"{fy}-{receipts[fy]:04d}"
        case.cols["receipt_number"] = number
        assert case.receive_event is not None
        case.receive_event["data"]["values"]["receipt_number"] = number
    for case in sorted((c for c in plans if c.refer_event), key=lambda c: c.cols["referred_on"]):
        fy = fiscal_year(case.cols["referred_on"])
        referrals[fy] += 1
        number = f"千代商あ第{fy}-{referrals[fy]:04d}号"
        case.cols["referral_number"] = number
        assert case.refer_event is not None
        case.refer_event["data"]["values"]["referral_number"] = number


def _link_consultations(session: Session, rng: random.Random, plans: list[_Case]) -> None:
    """About half the cases came out of a consultation of the same business."""
    ids = sorted({c.cols["business_id"] for c in plans})
    found: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Consultation.business_id, Consultation.consulted_on, Consultation.id).where(
                Consultation.business_id.in_(ids[start : start + 500]),
                Consultation.deleted_at.is_(None),
            )
        )
        for business_id, consulted_on, consultation_id in rows:
            if business_id is not None:
                found[business_id].append((consulted_on, consultation_id))
    for case in plans:
        opened = case.events[0]["occurred_on"]
        earlier = [x for x in found.get(case.cols["business_id"], []) if x[0] <= opened]
        if earlier and rng.random() < 0.6:
            case.cols["consultation_id"] = max(earlier)[1]


def _insert(model: type[Any]) -> Any:
    # NULLs sent as NULLs: otherwise the ORM splits rows by which keys are None and a few
    # thousand rows go out in hundreds of small batches.
    return insert(model).execution_options(render_nulls=True)


def _write_cases(session: Session, plans: list[_Case], now: datetime, officer: int | None) -> int:
    next_case = (session.execute(select(func.max(LoanCase.id))).scalar() or 0) + 1
    next_event = (session.execute(select(func.max(LoanCaseEvent.id))).scalar() or 0) + 1
    cases: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    total = 0
    for case in plans:
        cases.append(
            {
                "id": next_case,
                **case.cols,
                "import_batch_id": None,
                "created_at": now,
                "updated_at": now,
                "created_by_id": officer,
                "updated_by_id": officer,
                "version": 1,
            }
        )
        for event in case.events:
            events.append(
                {
                    "id": next_event,
                    "case_id": next_case,
                    **event,
                    "data": json.dumps(event["data"], ensure_ascii=False),
                    "recorded_at": now,
                    "staff_id": officer,
                }
            )
            next_event += 1
        next_case += 1
    for start in range(0, len(cases), CHUNK):
        session.execute(_insert(LoanCase), cases[start : start + CHUNK])
    for start in range(0, len(events), CHUNK):
        session.execute(_insert(LoanCaseEvent), events[start : start + CHUNK])
        total += len(events[start : start + CHUNK])
    return total


def _certifications(
    session: Session,
    rng: random.Random,
    businesses: Sequence[dict[str, Any]],
    anchor: date,
    now: datetime,
    officer: int | None,
) -> int:
    """A handful of SN 認定: mostly certified, some refused, the newest still undecided."""
    pool = [b for b in businesses if b["kind"] != "prospective"]
    count = min(len(pool), max(4, len(pool) // 25), 400)
    if count == 0:
        return 0
    kinds = [SafetyNetKind.NO5, SafetyNetKind.NO5, SafetyNetKind.NO4, SafetyNetKind.CRISIS]
    rows: list[dict[str, Any]] = []
    serials: dict[int, int] = defaultdict(int)
    drafts = []
    for n in range(count):
        kind = kinds[n % len(kinds)] if n < len(kinds) else rng.choice(kinds)
        # The first three: one undecided, one refused, one certified; then by chance.
        pending = n == 0 or (n > 2 and rng.random() < 0.08)
        refuse = n == 1 or (n > 2 and not pending and rng.random() < 0.2)
        back = rng.randint(0, 4) if pending else rng.randint(6, 360)
        applied_on = anchor - timedelta(days=back)
        while not is_business_day(applied_on):
            applied_on -= timedelta(days=1)
        threshold = safety_net.THRESHOLDS[kind]
        previous = rng.randint(30, 400) * 100_000
        if refuse:
            decline = float(threshold) - rng.uniform(0.5, min(4.5, float(threshold) - 0.5))
        else:
            decline = float(threshold) + rng.uniform(0.0, 25.0)
        current = int(previous * (100 - decline) / 100)
        rate = safety_net.decline_rate(current, previous)
        certified = not pending and rate >= threshold
        drafts.append((applied_on, kind, previous, current, rate, pending, certified))
    drafts.sort(key=lambda d: d[0])
    for applied_on, kind, previous, current, rate, pending, certified in drafts:
        business = rng.choice(pool)
        issued_on = None
        if not pending:
            issued_on = min(add_business_days(applied_on, rng.randint(1, 3)), anchor)
        number = ""
        if certified and issued_on is not None:
            fy = fiscal_year(issued_on)
            serials[fy] += 1
            number = f"千代田区産SN第{fy}-{serials[fy]:03d}号"
        rows.append(
            {
                "business_id": business["id"],
                "kind": kind.value,
                "applied_on": applied_on,
                "sales_current": current,
                "sales_previous": previous,
                "decline_rate": rate,
                "decision": None if pending else ("certified" if certified else "refused"),
                "certificate_number": number,
                "issued_on": issued_on,
                "valid_until": safety_net.valid_until(issued_on)
                if certified and issued_on
                else None,
                "notes": "",
                "created_at": now,
                "updated_at": now,
                "created_by_id": officer,
                "updated_by_id": officer,
                "version": 1,
            }
        )
    session.execute(_insert(SafetyNetCertification), rows)
    return len(rows)
