"""Subsidy rule arithmetic and checks, computed by hand: rates, rounding, caps, bands, 年度."""

import re
from dataclasses import fields
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from consult_desk.domain import subsidies
from consult_desk.domain.errors import FieldError, ValidationError
from consult_desk.domain.messages import FIELD_LABELS, MESSAGES
from consult_desk.domain.subsidies import (
    STEPS,
    ApplicationFacts,
    ApplicationInput,
    StepFacts,
    StepInput,
    StepName,
    SubsidyRule,
    SubsidyState,
    SubsidyTarget,
    TermsInput,
    check_application,
    check_step,
    eligible_amount,
    initiative_code_for,
    over_yearly_limit,
    parse_amount,
    report_due,
    same_fiscal_year,
    steps_from,
)

TRADE_SHOW = SubsidyRule(rate=Fraction(2, 3), rounding_unit=1000, cap=100_000, report_due_days=30)
DECARBONISE = SubsidyRule(rate=Fraction(1, 2), rounding_unit=1, cap=500_000, max_per_fiscal_year=1)
STREET_EVENTS = SubsidyRule(
    rate=Fraction(2, 3),
    band_threshold=1_000_000,
    band_rate=Fraction(5, 6),
    rounding_unit=1000,
    cap=3_000_000,
    max_per_fiscal_year=2,
    report_due_days=30,
)
TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("cost", "amount"),
    [
        (150_000, 100_000),  # ⅔ = 100,000 exactly, at the cap
        (149_999, 99_000),  # ⅔ = 99,999.33… → rounded down to ¥1,000
        (151_500, 100_000),  # ⅔ = 101,000 → capped
        (1_500, 1_000),  # ⅔ = 1,000 exactly
        (1_499, 0),  # ⅔ = 999.33… → 0
        (0, 0),
        (10_000_000, 100_000),
    ],
)
def test_trade_show_is_two_thirds_rounded_down_to_1000_and_capped(cost: int, amount: int) -> None:
    assert eligible_amount(TRADE_SHOW, cost) == amount


@pytest.mark.parametrize(
    ("cost", "amount"),
    [
        (999_999, 499_999),  # ½ = 499,999.5 → down to the yen
        (1_000_000, 500_000),  # exactly the cap
        (1_000_002, 500_000),  # ½ = 500,001 → capped
        (1, 0),
    ],
)
def test_decarbonisation_is_half_capped_at_500000(cost: int, amount: int) -> None:
    assert eligible_amount(DECARBONISE, cost) == amount


def test_a_1000_yen_unit_rounds_the_half_down_too() -> None:
    rule = SubsidyRule(rate=Fraction(1, 2), rounding_unit=1000, cap=500_000)
    assert eligible_amount(rule, 999_999) == 499_000
    assert eligible_amount(rule, 1_000_002) == 500_000


@pytest.mark.parametrize(
    ("cost", "amount"),
    [
        (999_999, 833_000),  # ⅚ = 833,332.5 → 833,000
        (998_400, 832_000),  # ⅚ = 832,000 exactly
        (998_399, 831_000),  # ⅚ = 831,999.17 → 831,000
        (1_000_000, 833_000),  # at the threshold: ⅚ = 833,333.33…
        (1_000_001, 666_000),  # above it the whole cost is at ⅔ = 666,667.33…
        (1_200, 1_000),  # ⅚ = 1,000 exactly
        (4_498_500, 2_999_000),  # ⅔ = 2,999,000
        (4_500_000, 3_000_000),  # ⅔ = 3,000,000: exactly the cap
        (4_501_500, 3_000_000),  # ⅔ = 3,001,000 → capped
    ],
)
def test_street_events_pay_five_sixths_up_to_the_threshold_else_two_thirds(
    cost: int, amount: int
) -> None:
    assert eligible_amount(STREET_EVENTS, cost) == amount


def test_band_applies_to_the_whole_cost_not_marginally() -> None:
    assert STREET_EVENTS.rate_for(1_000_000) == Fraction(5, 6)
    assert STREET_EVENTS.rate_for(1_000_001) == Fraction(2, 3)
    assert TRADE_SHOW.rate_for(1) == Fraction(2, 3)


def test_a_negative_cost_cannot_be_computed() -> None:
    with pytest.raises(ValueError):
        eligible_amount(TRADE_SHOW, -1)


def test_report_is_due_30_days_after_the_activity_ends() -> None:
    assert report_due(STREET_EVENTS, date(2026, 5, 17)) == date(2026, 6, 16)
    assert report_due(STREET_EVENTS, date(2027, 3, 15)) == date(2027, 4, 14)
    assert report_due(STREET_EVENTS, None) is None
    assert report_due(DECARBONISE, date(2026, 5, 17)) is None  # the program sets no period


def test_yearly_limit_counts_by_fiscal_year_3_31_and_4_1_differ() -> None:
    assert same_fiscal_year([date(2026, 3, 31)], date(2026, 4, 1)) == 0
    assert same_fiscal_year([date(2026, 4, 1)], date(2027, 3, 31)) == 1
    assert same_fiscal_year([date(2026, 3, 31)], date(2025, 4, 1)) == 1

    two = [date(2026, 4, 1), date(2026, 10, 1)]
    assert over_yearly_limit(STREET_EVENTS, two, date(2027, 3, 31))
    assert not over_yearly_limit(STREET_EVENTS, two, date(2027, 4, 1))
    assert not over_yearly_limit(STREET_EVENTS, [date(2026, 3, 31)], date(2026, 4, 1))
    assert over_yearly_limit(DECARBONISE, [date(2026, 3, 31)], date(2025, 4, 1))
    assert not over_yearly_limit(DECARBONISE, [date(2026, 3, 31)], date(2026, 4, 1))
    assert not over_yearly_limit(TRADE_SHOW, [date(2026, 4, 1)] * 5, date(2026, 4, 2))


def test_amounts_typed_in_full_width_or_with_units_are_read() -> None:
    assert parse_amount("１５０，０００", "eligible_cost") == 150_000
    assert parse_amount("15万円", "eligible_cost") == 150_000
    assert parse_amount("  ", "eligible_cost") is None
    assert parse_amount("−1,000", "eligible_cost") == -1_000  # the check then says 0以上


@pytest.mark.parametrize("text", ["abc", "1.5", "１万２万"])
def test_unreadable_amounts_name_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_amount(text, "eligible_cost")
    assert caught.value.errors == [FieldError("eligible_cost", "number.format")]


# --- check_application --------------------------------------------------------------------


def _business(**values: object) -> ApplicationInput:
    base: dict[str, object] = dict(
        program_id=1, applied_on=date(2026, 6, 1), business_id=1, eligible_cost=150_000
    )
    return ApplicationInput(**(base | values))  # type: ignore[arg-type]


def _facts(rule: SubsidyRule | None = TRADE_SHOW, **values: object) -> ApplicationFacts:
    return ApplicationFacts(SubsidyTarget.BUSINESS, rule, **values)  # type: ignore[arg-type]


def _codes(found: list[FieldError]) -> set[tuple[str, str]]:
    return {(e.field, e.code) for e in found}


def test_a_clean_application_has_its_amount_and_no_findings() -> None:
    findings = check_application(_business(activity_ends_on=date(2026, 6, 30)), _facts(), TODAY)
    assert findings.errors == [] and findings.warnings == []
    assert findings.computed_amount == 100_000


def test_negative_and_huge_amounts_are_errors() -> None:
    findings = check_application(
        _business(eligible_cost=-1, requested_amount=10**12 + 1), _facts(), TODAY
    )
    assert _codes(findings.errors) == {
        ("eligible_cost", "negative"),
        ("requested_amount", "too_large"),
    }
    assert findings.computed_amount is None


def test_a_missing_cost_and_a_future_day_are_errors() -> None:
    findings = check_application(
        _business(eligible_cost=None, applied_on=date(2026, 12, 1)), _facts(), TODAY
    )
    assert _codes(findings.errors) == {("eligible_cost", "required"), ("applied_on", "date.future")}


def test_requesting_more_than_the_rule_gives_is_a_warning() -> None:
    findings = check_application(
        _business(eligible_cost=149_999, requested_amount=99_999, activity_ends_on=TODAY),
        _facts(),
        TODAY,
    )
    assert findings.errors == []
    assert _codes(findings.warnings) == {("requested_amount", "subsidy.above_computed")}
    assert findings.computed_amount == 99_000


def test_a_second_decarbonisation_grant_in_one_fiscal_year_is_warned() -> None:
    value = _business(applied_on=date(2027, 3, 31))
    same_year = _facts(DECARBONISE, others_applied_on=(date(2026, 4, 1),))
    last_year = _facts(DECARBONISE, others_applied_on=(date(2026, 3, 31),))
    assert _codes(check_application(value, same_year, TODAY).warnings) == {
        ("applied_on", "subsidy.over_yearly_limit")
    }
    assert check_application(value, last_year, TODAY).warnings == []


def test_an_activity_ending_before_the_event_starts_is_an_error() -> None:
    value = ApplicationInput(
        program_id=3,
        applied_on=date(2026, 5, 1),
        association_id=7,
        event_id=9,
        activity_ends_on=date(2026, 5, 15),
        eligible_cost=1_000_000,
    )
    facts = ApplicationFacts(
        SubsidyTarget.STREET,
        STREET_EVENTS,
        event_starts_on=date(2026, 5, 16),
        event_ends_on=date(2026, 5, 17),
        event_association_id=7,
    )
    assert _codes(check_application(value, facts, TODAY).errors) == {
        ("activity_ends_on", "subsidy.ends_before_start")
    }


def test_an_event_of_another_street_is_refused() -> None:
    value = ApplicationInput(
        program_id=3, applied_on=date(2026, 5, 1), association_id=7, event_id=9, eligible_cost=1
    )
    facts = ApplicationFacts(SubsidyTarget.STREET, STREET_EVENTS, event_association_id=8)
    assert ("event_id", "subsidy.event_mismatch") in _codes(
        check_application(value, facts, TODAY).errors
    )


def test_applicant_must_be_exactly_one_and_match_the_program() -> None:
    both = _business(association_id=2)
    assert ("business_id", "subsidy.one_applicant") in _codes(
        check_application(both, _facts(), TODAY).errors
    )
    street = ApplicationInput(program_id=1, applied_on=TODAY, association_id=2, eligible_cost=1)
    assert ("association_id", "subsidy.target_mismatch") in _codes(
        check_application(street, _facts(), TODAY).errors
    )


def test_no_terms_in_force_is_an_error() -> None:
    assert _codes(check_application(_business(), _facts(None), TODAY).errors) == {
        ("program_id", "subsidy.no_terms_in_force")
    }


def test_a_program_with_a_report_period_warns_without_an_end_day() -> None:
    assert _codes(check_application(_business(), _facts(), TODAY).warnings) == {
        ("activity_ends_on", "subsidy.no_activity_end")
    }


@pytest.mark.parametrize(
    ("applied_on", "expected"),
    [
        (date(2026, 10, 30), set()),  # on the last day of the activity
        (date(2026, 10, 31), {("applied_on", "subsidy.applied_after_activity")}),
        (date(2026, 11, 29), {("applied_on", "subsidy.applied_after_activity")}),  # due day
        (
            date(2026, 11, 30),  # 岩本町ハロウィン: ended 10/30, report due 30 days later
            {
                ("applied_on", "subsidy.applied_after_activity"),
                ("activity_ends_on", "subsidy.report_already_overdue"),
            },
        ),
    ],
)
def test_an_application_after_the_activity_is_warned_and_an_overdue_report_too(
    applied_on: date, expected: set[tuple[str, str]]
) -> None:
    value = _business(applied_on=applied_on, activity_ends_on=date(2026, 10, 30))
    findings = check_application(value, _facts(), TODAY)
    assert findings.errors == [] and _codes(findings.warnings) == expected


def test_the_event_end_counts_and_without_a_report_period_only_the_late_filing_is_warned() -> None:
    value = ApplicationInput(
        program_id=3, applied_on=TODAY, association_id=7, event_id=9, eligible_cost=1_000_000
    )
    facts = ApplicationFacts(
        SubsidyTarget.STREET,
        STREET_EVENTS,
        event_starts_on=date(2026, 5, 16),
        event_ends_on=date(2026, 5, 17),
        event_association_id=7,
    )
    assert ("activity_ends_on", "subsidy.report_already_overdue") in _codes(
        check_application(value, facts, TODAY).warnings
    )
    no_report = ApplicationFacts(SubsidyTarget.BUSINESS, DECARBONISE)
    late = _business(applied_on=TODAY, activity_ends_on=date(2026, 5, 31))
    assert _codes(check_application(late, no_report, TODAY).warnings) == {
        ("applied_on", "subsidy.applied_after_activity")
    }


# --- steps --------------------------------------------------------------------------------


def _step_facts(state: SubsidyState, **values: object) -> StepFacts:
    base: dict[str, object] = dict(
        state=state,
        applied_on=date(2026, 6, 1),
        last_step_on=date(2026, 6, 1),
        rule=TRADE_SHOW,
        eligible_cost=150_000,
        computed_amount=100_000,
        activity_ends_on=date(2026, 6, 30),
    )
    return StepFacts(**(base | values))  # type: ignore[arg-type]


def test_states_and_steps_have_japanese_labels() -> None:
    assert [s.label for s in SubsidyState] == [
        "申請",
        "差戻し",
        "交付決定",
        "変更申請",
        "実績報告",
        "額の確定",
        "支払済",
        "取下げ",
        "不交付",
    ]
    assert [s.name for s in steps_from(SubsidyState.APPLIED)] == [
        StepName.RETURN,
        StepName.GRANT,
        StepName.WITHDRAW,
        StepName.REJECT,
    ]
    assert steps_from(SubsidyState.PAID) == []
    assert SubsidyState.PAID not in STEPS[StepName.WITHDRAW].sources
    assert SubsidyState.CONFIRMED in STEPS[StepName.WITHDRAW].sources


def test_a_grant_above_the_computed_amount_is_an_error_below_is_fine() -> None:
    facts = _step_facts(SubsidyState.APPLIED)
    above = StepInput(StepName.GRANT, date(2026, 7, 1), granted_amount=100_001)
    below = StepInput(StepName.GRANT, date(2026, 7, 1), granted_amount=90_000)
    assert _codes(check_step(facts, above, TODAY).errors) == {
        ("granted_amount", "subsidy.above_computed_grant")
    }
    findings = check_step(facts, below, TODAY)
    assert findings.errors == [] and findings.computed_amount == 100_000


def test_a_step_from_the_wrong_state_or_day_is_refused() -> None:
    pay = StepInput(StepName.PAY, date(2026, 7, 1), paid_amount=1)
    assert _codes(check_step(_step_facts(SubsidyState.APPLIED), pay, TODAY).errors) == {
        ("step", "subsidy.step_not_allowed")
    }
    early = StepInput(StepName.RETURN, date(2026, 5, 31), reason="書類不足")
    late = StepInput(StepName.RETURN, date(2026, 12, 1), reason="書類不足")
    facts = _step_facts(SubsidyState.APPLIED)
    assert _codes(check_step(facts, early, TODAY).errors) == {
        ("occurred_on", "subsidy.before_last_step")
    }
    assert _codes(check_step(facts, late, TODAY).errors) == {("occurred_on", "date.future")}


def test_return_withdraw_and_reject_need_a_reason() -> None:
    facts = _step_facts(SubsidyState.APPLIED)
    for name in (StepName.RETURN, StepName.WITHDRAW, StepName.REJECT):
        found = check_step(facts, StepInput(name, date(2026, 7, 1), reason="  "), TODAY)
        assert _codes(found.errors) == {("reason", "required")}


def test_confirmation_is_recomputed_on_the_actual_cost_and_never_above_the_grant() -> None:
    # Reported: the actual cost 120,000 gives ⅔ = 80,000.
    facts = _step_facts(SubsidyState.REPORTED, eligible_cost=120_000, granted_amount=100_000)
    on = date(2026, 8, 1)
    ok = check_step(facts, StepInput(StepName.CONFIRM, on, confirmed_amount=80_000), TODAY)
    assert ok.errors == [] and ok.computed_amount == 80_000
    too_much = check_step(facts, StepInput(StepName.CONFIRM, on, confirmed_amount=81_000), TODAY)
    assert _codes(too_much.errors) == {("confirmed_amount", "subsidy.above_actual")}
    rich = _step_facts(SubsidyState.REPORTED, eligible_cost=900_000, granted_amount=60_000)
    above = check_step(rich, StepInput(StepName.CONFIRM, on, confirmed_amount=61_000), TODAY)
    assert _codes(above.errors) == {("confirmed_amount", "subsidy.above_granted")}


def test_a_report_below_the_grant_and_after_the_due_day_is_warned() -> None:
    facts = _step_facts(
        SubsidyState.GRANTED, granted_amount=100_000, report_due_on=date(2026, 7, 30)
    )
    step = StepInput(StepName.REPORT, date(2026, 8, 1), actual_cost=120_000)
    assert _codes(check_step(facts, step, TODAY).warnings) == {
        ("actual_cost", "subsidy.actual_below_granted"),
        ("occurred_on", "subsidy.report_late"),
    }
    negative = StepInput(StepName.REPORT, date(2026, 7, 1), actual_cost=-5)
    assert _codes(check_step(facts, negative, TODAY).errors) == {("actual_cost", "negative")}


def test_payment_must_equal_the_confirmed_amount() -> None:
    facts = _step_facts(SubsidyState.CONFIRMED, confirmed_amount=80_000)
    wrong = StepInput(StepName.PAY, date(2026, 9, 1), paid_amount=80_001)
    assert _codes(check_step(facts, wrong, TODAY).errors) == {
        ("paid_amount", "subsidy.paid_not_confirmed")
    }
    right = StepInput(StepName.PAY, date(2026, 9, 1), paid_amount=80_000)
    assert check_step(facts, right, TODAY).errors == []


def test_an_approved_change_is_checked_against_the_new_cost() -> None:
    facts = _step_facts(SubsidyState.CHANGE_REQUESTED, granted_amount=100_000)
    smaller = StepInput(
        StepName.APPROVE_CHANGE, date(2026, 7, 1), granted_amount=70_000, eligible_cost=100_000
    )
    # ⅔ of 100,000 = 66,666.67 → 66,000.
    assert _codes(check_step(facts, smaller, TODAY).errors) == {
        ("granted_amount", "subsidy.above_computed_grant")
    }
    assert check_step(facts, smaller, TODAY).computed_amount == 66_000


# --- master data --------------------------------------------------------------------------


def test_terms_need_a_sane_rate_a_complete_band_and_an_ordered_period() -> None:
    bad = TermsInput(
        valid_from=date(2026, 4, 1),
        valid_to=date(2026, 3, 31),
        rate_numerator=4,
        rate_denominator=3,
        band_threshold=1_000_000,
        rounding_unit=0,
        cap_amount=-1,
        max_per_fiscal_year=0,
        report_due_days=-1,
    )
    assert _codes(bad.errors()) == {
        ("valid_to", "subsidy_terms.period"),
        ("rate_numerator", "subsidy_terms.rate"),
        ("band_threshold", "subsidy_terms.band_incomplete"),
        ("rounding_unit", "subsidy_terms.rounding_range"),
        ("cap_amount", "subsidy_terms.positive"),
        ("max_per_fiscal_year", "subsidy_terms.per_year_range"),
        ("report_due_days", "subsidy_terms.report_days_range"),
    }
    good = TermsInput(date(2026, 4, 1), None, 2, 3, 1_000_000, 5, 6, 1000, 3_000_000, 2, 30)
    assert good.errors() == []
    assert good.rule() == STREET_EVENTS


def test_programs_without_an_initiative_fall_back_by_name_then_target() -> None:
    assert initiative_code_for("中小企業販路拡大事業支援補助", SubsidyTarget.BUSINESS) == "1-3-1"
    assert initiative_code_for("ＤＸ推進助成", SubsidyTarget.BUSINESS) == "1-3-2"
    assert initiative_code_for("脱炭素経営支援助成金", SubsidyTarget.BUSINESS) == "1-3-3"
    assert initiative_code_for("創業支援補助", SubsidyTarget.BUSINESS) == "1-1-1"
    assert initiative_code_for("商店街イベント事業補助", SubsidyTarget.STREET) == "2-2-1"
    assert initiative_code_for("その他の補助", SubsidyTarget.BUSINESS) == "1-3-1"


def test_every_code_and_field_has_japanese_text() -> None:
    domain = Path(subsidies.__file__ or "")
    service = domain.parents[1] / "services" / "subsidies.py"  # read, not imported: no DB here
    source = domain.read_text(encoding="utf-8") + service.read_text(encoding="utf-8")
    codes = set(re.findall(r'"(subsidy(?:_terms|_program)?\.[a-z_]+)"', source))
    assert codes and codes <= MESSAGES.keys()
    step_fields = {f for s in STEPS.values() for f in (*s.required, *s.optional)}
    input_fields = {f.name for f in fields(subsidies.ApplicationInput)} | {
        f.name for f in fields(TermsInput)
    }
    assert step_fields | input_fields <= FIELD_LABELS.keys()
