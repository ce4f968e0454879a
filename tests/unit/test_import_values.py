"""Unit tests for consult_desk.domain.import_values: cells as people type them, headers, row
errors and the loan history a status and its dates describe."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult_desk.domain.import_values import (
    BUSINESS_KINDS,
    IGNORE,
    LOAN_STATES,
    CellError,
    Choices,
    ImportKind,
    LoanDates,
    RowError,
    clean_cell,
    map_header,
    parse_corporate_number_cell,
    parse_count_cell,
    parse_date_cell,
    parse_minutes_cell,
    parse_yen_cell,
    plan_loan_history,
    split_topics,
)
from consult_desk.domain.loans import STEPS, LoanState, StepName
from consult_desk.domain.messages import MESSAGES

# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026-10-01",
        "2026/10/1",
        "2026年10月1日",
        "令和8年10月1日",
        "R8.10.1",
        "r8.10.1",
        "２０２６／１０／０１",
        "  2026-10-01 ",
        "20261001",
    ],
)
def test_dates_in_every_typed_form(text: str) -> None:
    assert parse_date_cell(text) == date(2026, 10, 1)


def test_the_first_year_of_an_era_is_written_gannen() -> None:
    assert parse_date_cell("令和元年5月1日") == date(2019, 5, 1)
    assert parse_date_cell("R元.5.1") == date(2019, 5, 1)
    assert parse_date_cell("平成31年4月30日") == date(2019, 4, 30)


def test_a_blank_date_cell_is_nothing_entered() -> None:
    assert parse_date_cell("") is None
    assert parse_date_cell("　") is None


@pytest.mark.parametrize(
    "text", ["2026-02-31", "令和8年2月31日", "R8.2.30", "2026/13/1", "令和元年4月1日"]
)
def test_an_impossible_date_is_told_apart_from_no_date(text: str) -> None:
    with pytest.raises(CellError) as caught:
        parse_date_cell(text)
    assert caught.value.code == "import.date_impossible"


@pytest.mark.parametrize("text", ["あした", "10月1日", "2026", "1.10.2026"])
def test_text_that_is_no_date(text: str) -> None:
    with pytest.raises(CellError) as caught:
        parse_date_cell(text)
    assert caught.value.code == "date.format"


# --- amounts and counts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500万円", 5_000_000),
        ("500万", 5_000_000),
        ("1,200,000", 1_200_000),
        ("１，２００，０００円", 1_200_000),
        ("１２０万円", 1_200_000),
        ("1.5万円", 15_000),
        ("１．５万", 15_000),
        ("1.25億", 125_000_000),
        ("1億2,000万", 120_000_000),
        ("1.5万3000円", 18_000),
        ("¥3,000", 3_000),
        ("-500万円", -5_000_000),
        ("−300万円", -3_000_000),
        ("0", 0),
        ("", None),
    ],
)
def test_yen_as_people_type_it(text: str, expected: int | None) -> None:
    assert parse_yen_cell(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1.23456万", "import.not_whole_yen"),
        ("abc", "number.format"),
        ("五百万", "number.format"),
        ("1.5", "number.format"),
        ("1.5万6万", "number.format"),
        ("1.5万20000", "number.format"),
    ],
)
def test_amounts_that_are_no_amount(text: str, code: str) -> None:
    with pytest.raises(CellError) as caught:
        parse_yen_cell(text)
    assert caught.value.code == code


def test_counts_may_carry_their_unit() -> None:
    assert parse_count_cell("１２人") == 12
    assert parse_count_cell("3名") == 3
    assert parse_count_cell("1,200") == 1200
    assert parse_count_cell("") is None
    with pytest.raises(CellError):
        parse_count_cell("5万")
    with pytest.raises(CellError):
        parse_count_cell("many")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90", 90), ("90分", 90), ("１時間３０分", 90), ("2時間", 120), ("1時間5", 65), ("", None)],
)
def test_minutes(text: str, expected: int | None) -> None:
    assert parse_minutes_cell(text) == expected


def test_corporate_numbers_lose_hyphens_spaces_and_width() -> None:
    assert parse_corporate_number_cell("7-0000-1205-0002") == "7000012050002"
    assert parse_corporate_number_cell("７０００ ０１２０ ５０００２") == "7000012050002"
    assert parse_corporate_number_cell(" ") == ""


# --- cells, choices, headers ---------------------------------------------------------------------


def test_the_exports_formula_guard_is_taken_off() -> None:
    assert clean_cell("'=SUM(A1)") == "=SUM(A1)"
    assert clean_cell("'-3") == "-3"
    assert clean_cell("'quoted") == "'quoted"  # not a guard: kept
    assert clean_cell("  text  ") == "text"


def test_choices_ignore_width_kana_case_and_spaces_and_list_the_accepted_names() -> None:
    channels = Choices({"窓口": 1, "オンライン": 3}, "import.unknown_channel")
    assert channels.match("ｵﾝﾗｲﾝ") == 3
    assert channels.match("おんらいん") == 3
    assert channels.match(" 窓口 ") == 1
    with pytest.raises(CellError) as caught:
        channels.match("FAX")
    assert caught.value.code == "import.unknown_channel"
    assert caught.value.detail == "指定できるのは 窓口、オンライン"


def test_business_kinds_and_loan_states_by_label_or_code() -> None:
    assert BUSINESS_KINDS.match("個人事業主") == "sole_proprietor"
    assert BUSINESS_KINDS.match("corporation") == "corporation"
    assert LOAN_STATES.match("融資実行") is LoanState.EXECUTED
    assert LOAN_STATES.match("repaid") is LoanState.REPAID
    with pytest.raises(CellError) as caught:
        LOAN_STATES.match("審査中")
    assert "あっせん書交付" in caught.value.detail and "ほか" not in caught.value.detail


def test_topics_are_split_on_japanese_commas_and_semicolons() -> None:
    assert split_topics("資金繰り・融資、創業；IT・DX; ") == ["資金繰り・融資", "創業", "IT・DX"]
    assert split_topics("") == []


def test_headers_match_in_any_order_by_name_or_alias() -> None:
    mapping = map_header(ImportKind.LOANS, ["希望額", "受付日", "事業者", "期間（月）", "備考"])
    assert mapping.columns == ("申込額", "受付日", "事業者名", "期間(月)", IGNORE)
    assert (mapping.unknown, mapping.missing, mapping.ok) == (("備考",), (), False)


def test_the_wizards_mapping_overrides_and_ignores_columns() -> None:
    header = ["会社名", "備考", "事業者名"]
    mapping = map_header(
        ImportKind.BUSINESSES, header, {"会社名": "事業者名", "備考": IGNORE, "事業者名": IGNORE}
    )
    assert mapping.columns == ("事業者名", IGNORE, IGNORE)
    assert mapping.ok
    assert mapping.as_dict(header) == {"会社名": "事業者名", "備考": "", "事業者名": ""}


def test_a_missing_required_column_and_a_column_filled_twice() -> None:
    mapping = map_header(ImportKind.CONSULTATIONS, ["事業者名", "事業者", ""])
    assert mapping.missing == ("相談日",)
    assert mapping.duplicates == ("事業者名",)
    assert mapping.unknown == ()  # an untitled column is no column


def test_a_row_error_reads_as_one_line() -> None:
    error = RowError(3, "法人番号", "123", "corporate_number.length")
    assert error.line() == "3行目 法人番号「123」: 法人番号は13桁の数字です。"
    detail = RowError(4, "相談方法", "FAX", "import.unknown_channel", "指定できるのは 窓口")
    assert detail.reason == "登録されていない相談方法です。（指定できるのは 窓口）"


def test_every_import_code_has_its_japanese_message() -> None:
    codes = {
        "import.date_impossible",
        "import.not_whole_yen",
        "import.invalid_choice",
        "import.unknown_column",
        "import.loan_date_required",
        "import.loan_date_unused",
    }
    assert codes <= MESSAGES.keys()


# --- loans: status and dates --------------------------------------------------------------------

RECEIVED = date(2026, 9, 1)
REFERRED = date(2026, 9, 8)
EXECUTED = date(2026, 9, 20)
CLOSED = date(2026, 10, 30)


def _steps(target: LoanState, dates: LoanDates, startup: bool = False) -> list[StepName]:
    plan = plan_loan_history(target, dates, is_startup=startup)
    assert plan.problems == ()
    return [s.step for s in plan.steps]


def test_a_new_inquiry_needs_no_step() -> None:
    assert _steps(LoanState.INQUIRY, LoanDates(RECEIVED)) == []


def test_an_executed_loan_runs_the_main_path_each_step_on_its_day() -> None:
    plan = plan_loan_history(
        LoanState.EXECUTED, LoanDates(RECEIVED, REFERRED, EXECUTED), is_startup=False
    )
    assert [(s.step, s.occurred_on) for s in plan.steps] == [
        (StepName.RECEIVE, RECEIVED),
        (StepName.START_REVIEW, RECEIVED),
        (StepName.REFER, REFERRED),
        (StepName.BANK_RECEIVED, REFERRED),
        (StepName.EXECUTE, EXECUTED),
    ]


def test_an_approved_amount_takes_the_path_through_the_guarantee_corporation() -> None:
    steps = _steps(LoanState.EXECUTED, LoanDates(RECEIVED, REFERRED, EXECUTED, guaranteed=True))
    assert steps[3:] == [
        StepName.BANK_RECEIVED,
        StepName.TO_CGC,
        StepName.GUARANTEE,
        StepName.EXECUTE,
    ]


def test_the_startup_fund_begins_with_plan_coaching() -> None:
    assert _steps(LoanState.RECEIVED, LoanDates(RECEIVED), startup=True) == [
        StepName.START_COACHING,
        StepName.RECEIVE,
    ]


def test_repaid_and_withdrawn_close_on_the_closing_day() -> None:
    repaid = _steps(LoanState.REPAID, LoanDates(RECEIVED, REFERRED, EXECUTED, CLOSED))
    assert repaid[-2:] == [StepName.START_REPAYING, StepName.REPAY]
    assert _steps(LoanState.WITHDRAWN, LoanDates(RECEIVED, closed_on=CLOSED)) == [StepName.WITHDRAW]
    after_referral = _steps(LoanState.WITHDRAWN, LoanDates(RECEIVED, REFERRED, closed_on=CLOSED))
    assert after_referral[-2:] == [StepName.REFER, StepName.WITHDRAW]


@pytest.mark.parametrize(
    ("target", "dates", "problems"),
    [
        (
            LoanState.EXECUTED,
            LoanDates(RECEIVED, REFERRED),
            (("executed_on", "required"),),
        ),
        (
            LoanState.RECEIVED,
            LoanDates(RECEIVED, executed_on=EXECUTED),
            (("executed_on", "import.loan_date_unused"),),
        ),
        (
            LoanState.REPAID,
            LoanDates(RECEIVED),
            (
                ("referred_on", "required"),
                ("executed_on", "required"),
                ("closed_on", "required"),
            ),
        ),
        (
            LoanState.REFERRAL_ISSUED,
            LoanDates(RECEIVED, REFERRED, closed_on=CLOSED),
            (("closed_on", "import.loan_date_unused"),),
        ),
    ],
)
def test_a_status_and_dates_that_tell_different_stories(
    target: LoanState, dates: LoanDates, problems: tuple[tuple[str, str], ...]
) -> None:
    plan = plan_loan_history(target, dates, is_startup=False)
    assert (plan.steps, plan.problems) == ((), problems)


@given(
    target=st.sampled_from(list(LoanState)),
    referred=st.booleans(),
    executed=st.booleans(),
    closed=st.booleans(),
    guaranteed=st.booleans(),
    startup=st.booleans(),
)
def test_a_plan_either_reaches_the_status_or_names_its_problems(
    target: LoanState,
    referred: bool,
    executed: bool,
    closed: bool,
    guaranteed: bool,
    startup: bool,
) -> None:
    dates = LoanDates(
        RECEIVED,
        REFERRED if referred else None,
        EXECUTED if executed else None,
        CLOSED if closed else None,
        guaranteed,
    )
    plan = plan_loan_history(target, dates, is_startup=startup)
    if plan.problems:
        assert plan.steps == ()
        return
    state = LoanState.INQUIRY
    for step in plan.steps:
        assert state in STEPS[step.step].sources
        state = STEPS[step.step].target
    assert state is target
    days = [s.occurred_on for s in plan.steps]
    assert days == sorted(days)


# --- random text never crashes a parser ----------------------------------------------------------

PARSERS = [
    parse_date_cell,
    parse_yen_cell,
    parse_count_cell,
    parse_minutes_cell,
    parse_corporate_number_cell,
    BUSINESS_KINDS.match,
    LOAN_STATES.match,
]


@given(text=st.text(max_size=40), which=st.integers(0, len(PARSERS) - 1))
def test_random_text_is_a_value_or_a_cell_error(text: str, which: int) -> None:
    try:
        PARSERS[which](text)
    except CellError as exc:
        assert exc.code in MESSAGES
