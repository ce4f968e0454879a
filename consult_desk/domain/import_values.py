"""Imports (取込): the columns of each kind, cell values as people type them, row errors, and
the loan history a row's status and dates describe.

Everything here is pure: ``services/imports.py`` reads the file, looks names up in the database
and validates each row with the same service rules as the forms.

- Cells are text (an xlsx number or date is turned into text first), so one parser serves CSV
  and Excel alike. A blank cell is "nothing entered" (None or the field's empty value).
- Dates: whatever ``fiscal.parse_date`` reads (2026-10-01, 2026/10/1, 2026年10月1日,
  令和8年10月1日, R8.10.1, 令和元年…, full-width digits); a date shape with an impossible day
  (2月31日) is told apart from text that is no date at all.
- Amounts: ``text.parse_int`` (「1,200」, 「500万円」, 「1億2,000万」, full-width digits) plus
  one decimal before 万/億 (「1.5万円」 = 15,000); counts may end in 人/名/社, minutes in 分,
  「1時間30分」 is 90 minutes.
- 法人番号: hyphens, spaces and full-width digits are dropped; the check digit is the business
  rule's job (``BusinessInput.errors``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar

from consult_desk.domain.businesses import BusinessKind, Residence
from consult_desk.domain.corporate_number import normalize_corporate_number
from consult_desk.domain.fiscal import parse_date
from consult_desk.domain.loans import STATE_LABELS, LoanState, StepName
from consult_desk.domain.messages import message_for
from consult_desk.domain.text import normalize, parse_int, search_key

T = TypeVar("T")


class ImportKind(StrEnum):
    BUSINESSES = "businesses"
    CONSULTATIONS = "consultations"
    LOANS = "loans"

    @property
    def label(self) -> str:
        return {"businesses": "事業者", "consultations": "相談記録", "loans": "融資あっせん案件"}[
            self.value
        ]


@dataclass(frozen=True, slots=True)
class ImportColumn:
    """One column a file of a kind may have (in any order)."""

    name: str  # the header as documented (and as the exports write it)
    field: str  # what the service calls it (error codes name fields)
    required: bool = False  # the column must be there and its cells must not be blank
    aliases: tuple[str, ...] = ()  # other headers read as this column (export round trips)


_C = ImportColumn
COLUMNS: Mapping[ImportKind, tuple[ImportColumn, ...]] = {
    ImportKind.BUSINESSES: (
        _C("事業者名", "name", required=True, aliases=("事業者", "名称")),
        _C("フリガナ", "name_kana", aliases=("ふりがな", "カナ")),
        _C("法人番号", "corporate_number"),
        _C("事業者区分", "kind", aliases=("区分",)),
        _C("業種", "jsic_major", aliases=("業種（JSIC大分類）", "JSIC大分類")),
        _C("郵便番号", "postal_code"),
        _C("所在地", "address", aliases=("住所",)),
        _C("電話番号", "phone", aliases=("電話",)),
        _C("メール", "email", aliases=("メールアドレス",)),
        _C("代表者名", "representative_name", aliases=("代表者",)),
        _C("代表者区分", "representative_residence"),
        _C("資本金", "capital"),
        _C("従業員数", "employees"),
        _C("設立日", "founded_on", aliases=("設立年月日", "開業日")),
    ),
    ImportKind.CONSULTATIONS: (
        _C("相談日", "consulted_on", required=True),
        _C("事業者名", "business_id", aliases=("事業者",)),
        _C("法人番号", "corporate_number"),
        _C("相談方法", "channel_id"),
        _C("相談分野", "topic_ids"),
        _C("担当者", "staff_id", aliases=("担当",)),
        _C("所要時間", "minutes", aliases=("所要時間（分）", "所要時間(分)")),
        _C("相談内容", "summary"),
        _C("助言内容", "advice", aliases=("助言",)),
        _C("次回対応", "next_action"),
        _C("対応期限", "due_on"),
    ),
    ImportKind.LOANS: (
        _C("受付日", "received_on", required=True),
        _C("事業者名", "business_id", aliases=("事業者",)),
        _C("法人番号", "corporate_number"),
        _C("資金種別", "program_id"),
        _C("金融機関", "bank_id"),
        _C("申込額", "requested_amount", aliases=("希望額",)),
        _C("状態", "status"),
        _C("あっせん書交付日", "referred_on", aliases=("あっせん日",)),
        _C("実行日", "executed_on"),
        _C("実行額", "executed_amount"),
        _C("終了日", "closed_on", aliases=("完了日",)),
        _C("理由", "reason", aliases=("終了理由",)),
        # Optional: what the loan export writes besides, so its file can come back.
        _C("あっせん額", "referral_amount"),
        _C("承諾額", "approved_amount"),
        _C("期間(月)", "term_months", aliases=("融資期間", "融資期間(月)")),
        _C("据置(月)", "grace_months", aliases=("据置期間", "据置期間(月)")),
    ),
}
IGNORE = ""  # a mapping's target for a file column the user chose to leave out


def header_key(text: str) -> str:
    """A header as compared: NFKC, no spaces, case-insensitive (「期間（月）」 = 「期間(月)」)."""
    return search_key(text)


def known_columns(kind: ImportKind) -> tuple[str, ...]:
    return tuple(c.name for c in COLUMNS[kind])


def column(kind: ImportKind, name: str) -> ImportColumn:
    return next(c for c in COLUMNS[kind] if c.name == name)


@dataclass(frozen=True, slots=True)
class HeaderMapping:
    """How a file's header maps onto a kind's columns.

    ``columns`` gives, for each file column (by position), the known column it fills, or
    ``IGNORE``; ``unknown`` are file columns that map to nothing (an error), ``duplicates``
    known columns filled twice, ``missing`` required columns nowhere in the file.
    """

    columns: tuple[str, ...]
    unknown: tuple[str, ...]
    duplicates: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not (self.unknown or self.duplicates or self.missing)

    def as_dict(self, header: Sequence[str]) -> dict[str, str]:
        """File column → known column ("" for ignored or unknown ones), in file order."""
        return dict(zip(header, self.columns, strict=True))


def map_header(
    kind: ImportKind, header: Sequence[str], mapping: Mapping[str, str] | None = None
) -> HeaderMapping:
    """Match each header to a known column by name or alias; ``mapping`` (file column → known
    column, or ``IGNORE``) overrides the automatic match, as the wizard's choices do."""
    by_key: dict[str, str] = {}
    for spec in COLUMNS[kind]:
        for name in (spec.name, *spec.aliases):
            by_key.setdefault(header_key(name), spec.name)
    chosen = {header_key(k): v for k, v in (mapping or {}).items()}
    known = set(known_columns(kind))
    columns: list[str] = []
    unknown: list[str] = []
    for title in header:
        key = header_key(title)
        if not key:  # a column with neither a title nor any value
            columns.append(IGNORE)
            continue
        if key in chosen and (chosen[key] == IGNORE or chosen[key] in known):
            target = chosen[key]
        else:
            target = by_key.get(key, IGNORE)
            if not target:
                unknown.append(title)
        columns.append(target)
    filled = [c for c in columns if c]
    duplicates = tuple(dict.fromkeys(c for c in filled if filled.count(c) > 1))
    missing = tuple(c.name for c in COLUMNS[kind] if c.required and c.name not in filled)
    return HeaderMapping(tuple(columns), tuple(unknown), duplicates, missing)


# --- row errors -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of one row: where (row as the spreadsheet numbers it, header = 1, and the
    file's column), what was there, and why (a message code and an optional detail)."""

    row: int
    column: str
    value: str
    code: str
    detail: str = ""  # e.g. the names that would have been accepted

    @property
    def reason(self) -> str:
        text = message_for(self.code)
        return f"{text}（{self.detail}）" if self.detail else text

    def line(self) -> str:
        """「3行目 法人番号「123」: 理由」 for a console or a list."""
        where = f"{self.row}行目" if self.row else "ファイル"
        if self.column:
            where += f" {self.column}"
        value = f"「{shorten(self.value)}」" if self.value else ""
        return f"{where}{value}: {self.reason}"


MAX_SHOWN = 40


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


class CellError(ValueError):
    """A cell that cannot be read as its column's type."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


# --- cell values ----------------------------------------------------------------------------

# What the CSV export puts before a value Excel would run as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_cell(text: str) -> str:
    """A cell as read: the CSV export's protecting apostrophe removed, outer space trimmed."""
    if text.startswith("'") and text[1:].startswith(_FORMULA_START):
        text = text[1:]
    return text.strip()


def is_blank(text: str) -> bool:
    return not text.strip()


_DATE_SHAPE = re.compile(
    r"([MTSHR]|明治|大正|昭和|平成|令和)?(元|[0-9]{1,4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?"
    r"|[0-9]{8}",
    re.ASCII,
)


def parse_date_cell(text: str) -> date | None:
    """A date as people type it; None for a blank cell."""
    if is_blank(text):
        return None
    try:
        return parse_date(text)
    except ValueError:
        cleaned = "".join(unicodedata.normalize("NFKC", text).split()).upper()
        if _DATE_SHAPE.fullmatch(cleaned):
            raise CellError("import.date_impossible") from None
        raise CellError("date.format") from None


_DECIMAL_UNIT = re.compile(r"([0-9]+)\.([0-9]+)(億|万)(.*)", re.ASCII)
_UNIT_VALUES = {"億": 100_000_000, "万": 10_000}


def parse_yen_cell(text: str) -> int | None:
    """An amount in yen (「500万円」, 「1,200,000」, 「１．５万円」); None for a blank cell."""
    if is_blank(text):
        return None
    cleaned = "".join(unicodedata.normalize("NFKC", text).split()).replace(",", "")
    sign = ""
    if cleaned[:1] in ("-", "\u2212"):
        sign, cleaned = "-", cleaned[1:]
    cleaned = cleaned.removeprefix("¥").removeprefix("\\")
    if match := _DECIMAL_UNIT.fullmatch(cleaned):
        whole, fraction, unit, rest = match.groups()
        value = Decimal(f"{whole}.{fraction}") * _UNIT_VALUES[unit]
        if value != value.to_integral_value():
            raise CellError("import.not_whole_yen")
        try:
            tail = parse_int(rest) if rest.removesuffix("円") else 0
        except ValueError:
            raise CellError("number.format") from None
        if tail >= _UNIT_VALUES[unit]:
            raise CellError("number.format")
        total = int(value) + tail
        return -total if sign else total
    try:
        return parse_int(sign + cleaned)
    except ValueError:
        raise CellError("number.format") from None


_COUNT_SUFFIXES = ("人", "名", "社", "件")


def parse_count_cell(text: str) -> int | None:
    """A whole number of people or things (「12人」, 「１，２００」); None for a blank cell."""
    if is_blank(text):
        return None
    cleaned = "".join(unicodedata.normalize("NFKC", text).split())
    for suffix in _COUNT_SUFFIXES:
        cleaned = cleaned.removesuffix(suffix)
    if "万" in cleaned or "億" in cleaned or "円" in cleaned:
        raise CellError("number.format")
    try:
        return parse_int(cleaned)
    except ValueError:
        raise CellError("number.format") from None


_HOURS_MINUTES = re.compile(r"([0-9]+)時間(?:([0-9]+)分?)?", re.ASCII)


def parse_minutes_cell(text: str) -> int | None:
    """Minutes: 「90」, 「90分」, 「1時間30分」, 「2時間」; None for a blank cell."""
    if is_blank(text):
        return None
    cleaned = "".join(unicodedata.normalize("NFKC", text).split())
    if match := _HOURS_MINUTES.fullmatch(cleaned):
        return int(match[1]) * 60 + int(match[2] or 0)
    try:
        return parse_int(cleaned.removesuffix("分"))
    except ValueError:
        raise CellError("number.format") from None


def parse_corporate_number_cell(text: str) -> str:
    """法人番号 with hyphens, spaces and full-width digits removed ("" for a blank cell)."""
    return normalize_corporate_number(text) if not is_blank(text) else ""


def parse_text_cell(text: str) -> str:
    return normalize(text)


def choice_key(text: str) -> str:
    """How typed names are compared with names on record: width, kana, case and spaces
    ignored (the business list's search key)."""
    return search_key(text)


class Choices(Generic[T]):
    """Accepted spellings of a list's values, compared by ``choice_key`` (keys computed once:
    a file of 100,000 rows asks the same list every row)."""

    def __init__(
        self,
        choices: Mapping[str, T],
        code: str = "import.invalid_choice",
        listed: Iterable[str] | None = None,  # the names an error lists (default: all)
        limit: int = 12,  # at most this many of them
    ) -> None:
        self._by_key: dict[str, T] = {}
        for name, value in choices.items():
            self._by_key.setdefault(choice_key(name), value)
        self._typed: dict[str, T] = {}  # cells already matched, as typed (they repeat)
        self.code = code
        shown = list(choices if listed is None else listed)
        self.detail = known_names(shown, limit) if shown else ""

    def match(self, text: str) -> T:
        """The value the cell names; ``CellError`` listing the accepted names otherwise."""
        if text in self._typed:
            return self._typed[text]
        try:
            value = self._by_key[choice_key(text)]
        except KeyError:
            raise CellError(self.code, self.detail) from None
        if len(self._typed) < 10_000:
            self._typed[text] = value
        return value


def match_choice(text: str, choices: Mapping[str, T], code: str = "import.invalid_choice") -> T:
    """``Choices(choices, code).match(text)``, for a list asked once."""
    return Choices(choices, code).match(text)


def known_names(names: Iterable[str], limit: int = 12) -> str:
    """「指定できるのは 窓口、訪問、…」: the first ``limit`` names (the detail of an error)."""
    unique = list(dict.fromkeys(names))
    shown = "、".join(unique[:limit])
    more = f" ほか{len(unique) - limit}件" if len(unique) > limit else ""
    return f"指定できるのは {shown}{more}" if unique else "登録がありません"


BUSINESS_KINDS = Choices(
    {
        **{kind.label: kind.value for kind in BusinessKind},
        "個人": BusinessKind.SOLE_PROPRIETOR.value,
        "創業前": BusinessKind.PROSPECTIVE.value,
        **{kind.value: kind.value for kind in BusinessKind},
    },
    listed=[kind.label for kind in BusinessKind],
)
RESIDENCES = Choices(
    {**{r.label: r.value for r in Residence}, **{r.value: r.value for r in Residence}},
    listed=[r.label for r in Residence],
)
LOAN_STATES = Choices(
    {
        **{label: state for state, label in STATE_LABELS.items()},
        **{state.value: state for state in LoanState},
    },
    listed=list(STATE_LABELS.values()),
    limit=len(STATE_LABELS),
)
_TOPIC_SEPARATORS = re.compile(r"[、;；\n]")


def split_topics(text: str) -> list[str]:
    """「資金繰り・融資、創業」 → the names in order (the first is the primary topic)."""
    return [part.strip() for part in _TOPIC_SEPARATORS.split(text) if part.strip()]


# --- loans: the history a row describes ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoanDates:
    """The dates of one loan row (受付日 is always there) and whether it names a 承諾額."""

    received_on: date
    referred_on: date | None = None
    executed_on: date | None = None
    closed_on: date | None = None
    guaranteed: bool = False  # a 承諾額 is given: the path runs through 保証協会


@dataclass(frozen=True, slots=True)
class PlannedStep:
    step: StepName
    occurred_on: date
    date_field: str  # which date column gave the day (errors about the day point there)


# The date each kind of step takes from the row.
_STEP_DATE = {
    StepName.START_COACHING: "received_on",
    StepName.RECEIVE: "received_on",
    StepName.START_REVIEW: "received_on",
    StepName.HOLD: "received_on",
    StepName.REFUSE: "closed_on",
    StepName.REFER: "referred_on",
    StepName.BANK_RECEIVED: "referred_on",
    StepName.TO_CGC: "referred_on",
    StepName.GUARANTEE: "referred_on",
    StepName.DECLINE_BANK: "closed_on",
    StepName.DECLINE_CGC: "closed_on",
    StepName.EXPIRE: "closed_on",
    StepName.EXECUTE: "executed_on",
    StepName.START_GRACE: "executed_on",
    StepName.START_REPAYING: "executed_on",
    StepName.REPAY: "closed_on",
    StepName.SUBROGATE: "closed_on",
    StepName.WITHDRAW: "closed_on",
}
LOAN_DATE_FIELDS = ("referred_on", "executed_on", "closed_on")


def _steps_to(target: LoanState, dates: LoanDates, is_startup: bool) -> list[StepName]:
    """The steps from 相談 to ``target`` along the main path (DOMAIN §1.4)."""
    s, n = LoanState, StepName
    received = ([n.START_COACHING] if is_startup else []) + [n.RECEIVE]
    review = [*received, n.START_REVIEW]
    referred = [*review, n.REFER]
    bank = [*referred, n.BANK_RECEIVED]
    cgc = [*bank, n.TO_CGC]
    guaranteed = [*cgc, n.GUARANTEE]
    executed = [*(guaranteed if dates.guaranteed else bank), n.EXECUTE]
    repaying = [*executed, n.START_REPAYING]
    paths: dict[LoanState, list[StepName]] = {
        s.INQUIRY: [],
        s.PLAN_COACHING: [n.START_COACHING],
        s.RECEIVED: received,
        s.WARD_REVIEW: review,
        s.ON_HOLD: [*review, n.HOLD],
        s.REFUSED_BY_WARD: [*review, n.REFUSE],
        s.REFERRAL_ISSUED: referred,
        s.EXPIRED: [*referred, n.EXPIRE],
        s.BANK_REVIEW: bank,
        # Declined or withdrawn with a 承諾額: after the guarantee (the amount is kept).
        s.DECLINED_BANK: [*(guaranteed if dates.guaranteed else bank), n.DECLINE_BANK],
        s.CGC_REVIEW: cgc,
        s.DECLINED_CGC: [*cgc, n.DECLINE_CGC],
        s.GUARANTEED: guaranteed,
        s.EXECUTED: executed,
        s.GRACE: [*executed, n.START_GRACE],
        s.REPAYING: repaying,
        s.REPAID: [*repaying, n.REPAY],
        s.SUBROGATED: [*repaying, n.SUBROGATE],
        # Withdrawn before referral: from 相談 (nothing says the case was received);
        # after it: from あっせん書交付, or from 保証承諾 with a 承諾額.
        s.WITHDRAWN: [
            *((guaranteed if dates.guaranteed else referred) if dates.referred_on else []),
            n.WITHDRAW,
        ],
    }
    return paths[target]


@dataclass(frozen=True, slots=True)
class LoanPlan:
    steps: tuple[PlannedStep, ...]
    # (field, code): a date the status needs but the row lacks ("required"), or one it gives
    # but the status cannot have ("import.loan_date_unused").
    problems: tuple[tuple[str, str], ...]


def plan_loan_history(target: LoanState, dates: LoanDates, *, is_startup: bool) -> LoanPlan:
    """The steps that lead a new case to ``target``, each on the day the row gives for it.

    A status whose dates are missing, or dates the status's path never reaches (an 実行日 on a
    case still under review), are problems: the status and its dates must tell one story. The
    steps themselves are then checked by the loan rules (``check_step``) one by one.
    """
    names = _steps_to(target, dates, is_startup)
    needed = {_STEP_DATE[name] for name in names}
    problems: list[tuple[str, str]] = []
    for name in LOAN_DATE_FIELDS:
        given = getattr(dates, name) is not None
        if name in needed and not given:
            problems.append((name, "required"))
        elif given and name not in needed:
            problems.append((name, "import.loan_date_unused"))
    if problems:
        return LoanPlan((), tuple(problems))
    steps = tuple(
        PlannedStep(name, getattr(dates, _STEP_DATE[name]), _STEP_DATE[name]) for name in names
    )
    return LoanPlan(steps, ())
