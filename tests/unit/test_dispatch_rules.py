"""Expert dispatch rules without a database: the state machine, visits, experts, amounts."""

import re
from dataclasses import replace
from datetime import date, time
from pathlib import Path

import pytest

from consult_desk.db.models import DISPATCH_STATUSES, ExpertDispatch
from consult_desk.domain.dispatch import (
    DEFAULT_MAX_VISITS,
    STEPS,
    TERMINAL,
    DispatchFacts,
    DispatchInput,
    DispatchState,
    ExpertFacts,
    ExpertInput,
    SameDayVisit,
    StepInput,
    StepName,
    TermsInput,
    VisitFacts,
    VisitInput,
    check_step,
    check_visit,
    expert_errors,
    read_yen,
    report_due,
    steps_from,
)
from consult_desk.domain.errors import FieldError
from consult_desk.domain.fiscal import fiscal_year
from consult_desk.domain.messages import FIELD_LABELS, MESSAGES

TODAY = date(2027, 4, 30)
DECIDED = date(2026, 4, 20)
S = DispatchState

EXPERT = ExpertFacts(1, date(2020, 4, 1), None, True)
EXPIRES_END_OF_YEAR = ExpertFacts(2, date(2020, 4, 1), date(2027, 3, 31), True)


def codes(found: list[FieldError]) -> dict[str, str]:
    return {e.field: e.code for e in found}


def facts(**changes: object) -> VisitFacts:
    base = VisitFacts(
        state=S.IN_PROGRESS,
        decided_on=DECIDED,
        approved_visits=10,
        number=3,
        year_cap=DEFAULT_MAX_VISITS,
        year_used=2,
        expert=EXPERT,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def visit(on: date = date(2026, 6, 1), **changes: object) -> VisitInput:
    base = VisitInput(visited_on=on, start_time=time(10), end_time=time(12), place="事業所")
    return replace(base, **changes)  # type: ignore[arg-type]


# --- the state machine --------------------------------------------------------------------


def test_states_are_the_schema_codes_with_japanese_labels() -> None:
    assert tuple(s.value for s in DispatchState) == DISPATCH_STATUSES
    assert [s.label for s in DispatchState] == [
        "申請",
        "審査中",
        "派遣決定",
        "派遣中",
        "完了",
        "実績報告済",
        "支払済",
        "中止",
    ]


def test_the_forward_path_runs_from_application_to_payment() -> None:
    state = S.APPLIED
    path = []
    while forward := [s for s in steps_from(state) if not s.exit]:
        (only,) = forward  # one way forward from every state
        path.append(only.name)
        state = only.target
    assert state == S.PAID
    assert path == [
        StepName.START_REVIEW,
        StepName.APPROVE,
        StepName.START,
        StepName.COMPLETE,
        StepName.REPORT,
        StepName.PAY,
    ]


def test_cancel_is_possible_from_every_state_before_the_end_and_never_after() -> None:
    for state in DispatchState:
        names = [s.name for s in steps_from(state)]
        assert (StepName.CANCEL in names) == (state not in TERMINAL)
    assert steps_from(S.PAID) == [] and steps_from(S.CANCELLED) == []


def test_every_step_date_and_field_has_a_column_and_a_label() -> None:
    for step in STEPS.values():
        if step.date_field is not None:
            assert hasattr(ExpertDispatch, step.date_field)
            assert step.date_field in FIELD_LABELS
        for name in (*step.required, *step.optional):
            assert name in FIELD_LABELS


def _approve(**values: object) -> StepInput:
    return StepInput(StepName.APPROVE, DECIDED, **values)  # type: ignore[arg-type]


REVIEWING = DispatchFacts(state=S.REVIEWING, applied_on=date(2026, 4, 10))


def test_approval_needs_at_least_one_visit() -> None:
    assert codes(check_step(REVIEWING, _approve(), TODAY).errors) == {"approved_visits": "required"}
    assert codes(check_step(REVIEWING, _approve(approved_visits=0), TODAY).errors) == {
        "approved_visits": "dispatch.approved_visits_range"
    }
    assert check_step(REVIEWING, _approve(approved_visits=8), TODAY) == check_step(
        REVIEWING, _approve(approved_visits=1), TODAY
    )


def test_approving_more_visits_than_the_year_leaves_is_only_a_warning() -> None:
    used = replace(REVIEWING, year_cap=8, year_used=6)
    found = check_step(used, _approve(approved_visits=3), TODAY)
    assert found.errors == []
    assert codes(found.warnings) == {"approved_visits": "dispatch.approved_above_cap"}


def test_approval_with_an_expert_whose_registration_ended_is_refused() -> None:
    expired = ExpertFacts(2, date(2020, 4, 1), date(2026, 3, 31), True)
    found = check_step(
        replace(REVIEWING, expert=expired), _approve(approved_visits=8, expert_id=2), TODAY
    )
    assert codes(found.errors) == {"expert_id": "expert.registration_expired"}


def test_steps_are_refused_from_the_wrong_state_in_the_future_or_before_the_last_step() -> None:
    applied = DispatchFacts(state=S.APPLIED, applied_on=date(2026, 4, 10))
    assert codes(check_step(applied, _approve(approved_visits=8), TODAY).errors) == {
        "step": "dispatch.step_not_allowed"
    }
    review = StepInput(StepName.START_REVIEW, date(2027, 5, 1))
    assert codes(check_step(applied, review, TODAY).errors) == {"occurred_on": "date.future"}
    early = StepInput(StepName.START_REVIEW, date(2026, 4, 9))
    assert codes(check_step(applied, early, TODAY).errors) == {
        "occurred_on": "dispatch.before_current_status"
    }


def test_completion_needs_a_visit_and_comes_after_the_last_one() -> None:
    running = DispatchFacts(state=S.IN_PROGRESS, applied_on=date(2026, 4, 10))
    complete = StepInput(StepName.COMPLETE, date(2026, 9, 1))
    assert codes(check_step(running, complete, TODAY).errors) == {"step": "dispatch.no_visits"}
    visited = replace(running, visits=3, last_visit_on=date(2026, 9, 2), approved_visits=8)
    found = check_step(visited, complete, TODAY)
    assert codes(found.errors) == {"occurred_on": "dispatch.before_last_visit"}
    assert codes(found.warnings) == {"step": "dispatch.fewer_visits"}
    due_early = replace(complete, occurred_on=date(2026, 9, 3), report_due_on=date(2026, 9, 2))
    assert codes(check_step(visited, due_early, TODAY).errors) == {
        "report_due_on": "dispatch.report_due_before_completion"
    }


def test_report_due_is_the_typed_date_or_the_set_days_after_completion() -> None:
    assert report_due(date(2026, 9, 3), 30) == date(2026, 10, 3)
    assert report_due(date(2026, 9, 3), 30, date(2026, 9, 10)) == date(2026, 9, 10)


def test_payment_must_not_be_negative_and_a_different_total_is_warned() -> None:
    reported = DispatchFacts(state=S.REPORTED, applied_on=date(2026, 4, 10), fee_total=34_650)
    pay = StepInput(StepName.PAY, date(2026, 10, 1), amount=-1)
    assert codes(check_step(reported, pay, TODAY).errors) == {"amount": "negative"}
    found = check_step(reported, replace(pay, amount=30_000), TODAY)
    assert found.errors == [] and codes(found.warnings) == {"amount": "dispatch.amount_differs"}
    assert check_step(reported, replace(pay, amount=34_650), TODAY).warnings == []


def test_cancelling_needs_a_reason_that_is_not_blank() -> None:
    running = DispatchFacts(state=S.IN_PROGRESS, applied_on=date(2026, 4, 10))
    cancel = StepInput(StepName.CANCEL, date(2026, 6, 1), reason="　 ")
    assert codes(check_step(running, cancel, TODAY).errors) == {"reason": "required"}
    assert check_step(running, replace(cancel, reason="事業者の都合"), TODAY).errors == []


# --- visits -------------------------------------------------------------------------------


def test_the_form_alone_checks_times_dates_and_the_fee() -> None:
    assert visit().errors() == []
    bad = visit(
        end_time=time(10),
        next_on=date(2026, 6, 1),
        report_received_on=date(2026, 5, 31),
        fee=-1,
    )
    assert codes(bad.errors()) == {
        "end_time": "dispatch.end_not_after_start",
        "next_on": "dispatch.next_not_after_visit",
        "report_received_on": "dispatch.report_before_visit",
        "fee": "negative",
    }
    assert codes(visit(end_time=time(9, 59)).errors()) == {
        "end_time": "dispatch.end_not_after_start"
    }


def test_a_visit_before_the_decision_is_refused() -> None:
    found = check_visit(facts(), visit(date(2026, 4, 19)), TODAY)
    assert codes(found.errors) == {"visited_on": "dispatch.visit_before_decision"}
    assert check_visit(facts(), visit(DECIDED), TODAY).errors == []


def test_a_visit_before_any_decision_or_after_the_end_is_refused() -> None:
    for state, code in (
        (S.APPLIED, "dispatch.not_approved"),
        (S.REVIEWING, "dispatch.not_approved"),
        (S.COMPLETED, "dispatch.visits_closed"),
        (S.CANCELLED, "dispatch.visits_closed"),
    ):
        found = check_visit(facts(state=state, decided_on=None), visit(), TODAY)
        assert codes(found.errors) == {"status": code}
    # A recorded visit may still be corrected until payment.
    assert check_visit(facts(state=S.REPORTED, is_new=False), visit(), TODAY).errors == []
    paid = check_visit(facts(state=S.PAID, is_new=False), visit(), TODAY)
    assert codes(paid.errors) == {"status": "dispatch.visits_closed"}


def test_the_approved_number_is_a_ceiling_and_the_last_one_is_warned() -> None:
    assert codes(check_visit(facts(number=11), visit(), TODAY).errors) == {
        "number": "dispatch.above_approved"
    }
    last = check_visit(facts(number=10), visit(), TODAY)
    assert last.errors == [] and codes(last.warnings) == {"number": "dispatch.last_approved_visit"}


def test_a_ninth_visit_in_one_year_is_refused_by_default() -> None:
    ninth = check_visit(facts(year_used=8, number=9), visit(), TODAY)
    assert codes(ninth.errors) == {"visited_on": "dispatch.year_cap_reached"}
    eighth = check_visit(facts(year_used=7, number=8), visit(), TODAY)
    assert eighth.errors == []
    assert codes(eighth.warnings) == {"visited_on": "dispatch.year_cap_last"}
    # The cap is the program's rule for the 年度, not a constant: at 9 the ninth fits.
    assert check_visit(facts(year_used=8, year_cap=9, number=9), visit(), TODAY).errors == []


def test_the_year_boundary_is_31_march_to_1_april() -> None:
    assert visit(date(2027, 3, 31)).fiscal_year == 2026
    assert visit(date(2027, 4, 1)).fiscal_year == 2027
    assert fiscal_year(date(2027, 3, 31)) != fiscal_year(date(2027, 4, 1))
    # Registered until 31 March: the 31st still counts, the 1st of April does not.
    assert expert_errors(EXPIRES_END_OF_YEAR, date(2027, 3, 31)) == []
    assert codes(expert_errors(EXPIRES_END_OF_YEAR, date(2027, 4, 1))) == {
        "expert_id": "expert.registration_expired"
    }


def test_the_expert_must_be_named_active_and_registered_on_the_visit_date() -> None:
    assert codes(check_visit(facts(expert=None), visit(), TODAY).errors) == {
        "expert_id": "required"
    }
    expired = ExpertFacts(2, date(2020, 4, 1), date(2026, 5, 31), True)
    assert codes(check_visit(facts(expert=expired), visit(), TODAY).errors) == {
        "expert_id": "expert.registration_expired"
    }
    future = ExpertFacts(3, date(2026, 7, 1), None, True)
    assert codes(check_visit(facts(expert=future), visit(), TODAY).errors) == {
        "expert_id": "expert.not_yet_registered"
    }
    inactive = ExpertFacts(4, date(2020, 4, 1), None, False)
    assert codes(check_visit(facts(expert=inactive), visit(), TODAY).errors) == {
        "expert_id": "expert.inactive"
    }
    assert EXPERT.assignable_on(date(2030, 1, 1)) and not inactive.assignable_on(date(2026, 6, 1))


def test_soft_problems_are_warnings() -> None:
    found = check_visit(
        facts(is_new=False, next_visit_on=date(2026, 6, 10)),
        visit(date(2027, 5, 1), place="", online=False),
        TODAY,
    )
    assert found.errors == []
    assert [(w.field, w.code) for w in found.warnings] == [
        ("visited_on", "dispatch.visit_in_future"),
        ("visited_on", "dispatch.visit_out_of_order"),
        ("place", "dispatch.place_missing"),
    ]
    online = check_visit(facts(), visit(place="", online=True), TODAY)
    assert online.warnings == []


def test_another_visit_of_the_expert_at_the_same_time_is_warned_not_refused() -> None:
    on = date(2026, 6, 1)

    def other(
        start: time | None = time(10),
        end: time | None = time(12),
        *,
        id: int = 7,
        dispatch_id: int = 5,
        expert_id: int = EXPERT.id,
    ) -> SameDayVisit:
        return SameDayVisit(id, dispatch_id, expert_id, on, start, end)

    def found(*others: SameDayVisit, **changes: object) -> list[tuple[str, str]]:
        result = check_visit(
            facts(dispatch_id=5, same_day_visits=others),
            visit(on, **changes),
            TODAY,
        )
        assert result.errors == []
        return [(w.field, w.code) for w in result.warnings]

    overlap = [("visited_on", "dispatch.visit_overlaps")]
    assert found(other()) == overlap  # the same visit entered again
    assert found(other(time(11), time(13), dispatch_id=6)) == overlap  # another dispatch too
    assert found(other(time(12), time(14))) == []  # touching: end = start is no overlap
    assert found(other(time(8), time(10))) == []
    assert found(other(expert_id=2)) == []  # another expert
    # A time missing: the same day of the same dispatch is enough, another dispatch is not.
    assert found(other(None, None)) == overlap
    assert found(other(), start_time=None, end_time=None) == overlap
    assert found(other(None, None, dispatch_id=6)) == []
    # The visit being corrected is not compared with itself.
    edited = check_visit(
        facts(is_new=False, dispatch_id=5, visit_id=7, same_day_visits=(other(),)), visit(on), TODAY
    )
    assert edited.warnings == []


# --- amounts and master data --------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value", "errors"),
    [
        ("", None, {}),
        ("１１，５５０", 11_550, {}),
        ("1万1550円", 11_550, {}),
        ("¥20,000", 20_000, {}),
        ("−500", -500, {"fee": "negative"}),
        ("－５００円", -500, {"fee": "negative"}),
        ("1.5", None, {"fee": "number.format"}),
        ("千円くらい", None, {"fee": "number.format"}),
    ],
)
def test_typed_amounts_accept_full_width_and_refuse_negatives_clearly(
    typed: str, value: int | None, errors: dict[str, str]
) -> None:
    parsed, found = read_yen(typed, "fee")
    assert parsed == value
    assert codes(found) == errors


def test_expert_input_rules_and_normalisation() -> None:
    bad = ExpertInput(
        name=" ",
        registered_from=date(2026, 4, 1),
        registered_to=date(2026, 3, 31),
        fee_per_visit=-1,
        email="yamada at example",
    )
    assert codes(bad.errors()) == {
        "name": "required",
        "registered_to": "expert.registration_period",
        "fee_per_visit": "negative",
        "email": "email.format",
    }
    assert codes(ExpertInput(name="山田").errors()) == {"registered_from": "required"}
    typed = ExpertInput(
        name="山田　太郎",
        name_kana="やまだ たろう",
        qualifications=("税理士", " ", "中小企業診断士", "税理士"),
        registered_from=date(2020, 4, 1),
    ).normalized()
    assert typed.name == "山田 太郎"
    assert typed.qualifications == ("税理士", "中小企業診断士")
    assert typed.sort_key() == "ヤマダタロウ"


def test_terms_and_dispatch_input_rules() -> None:
    assert codes(TermsInput(2026, 0, -1).errors()) == {
        "max_visits_per_business": "dispatch_terms.visits_range",
        "fee_per_visit": "negative",
    }
    assert codes(TermsInput(1999).errors()) == {"fiscal_year": "dispatch_terms.year_range"}
    value = DispatchInput(business_id=1, program_id=1, theme="", applied_on=date(2027, 5, 1))
    assert codes(value.errors(TODAY)) == {"theme": "required", "applied_on": "date.future"}
    assert replace(value, applied_on=date(2027, 3, 31)).fiscal_year == 2026


def test_every_code_and_field_of_dispatch_has_japanese_text() -> None:
    root = Path(__file__).parents[2] / "consult_desk"
    sources = [root / "domain/dispatch.py", root / "services/dispatch.py"]
    text = "".join(path.read_text(encoding="utf-8") for path in sources)
    used = set(re.findall(r'"((?:dispatch|dispatch_terms|expert)\.[a-z_]+)"', text))
    assert len(used) > 20 and used <= MESSAGES.keys()
    named = set(re.findall(r'FieldError\(\s*"([a-z_]+)"', text))
    assert named <= FIELD_LABELS.keys()
