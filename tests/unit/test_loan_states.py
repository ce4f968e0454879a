"""The loan state machine as a table: every state reachable, terminals final, exits apart."""

from datetime import date

from consult_desk.domain.loans import (
    STEPS,
    TERMINAL,
    CaseFacts,
    LoanState,
    StepInput,
    StepName,
    check_step,
    steps_from,
)

TODAY = date(2026, 11, 30)


def test_every_state_is_reachable_from_the_first_inquiry() -> None:
    seen = {LoanState.INQUIRY}
    frontier = [LoanState.INQUIRY]
    while frontier:
        state = frontier.pop()
        for step in steps_from(state, is_startup=True):
            if step.target not in seen:
                seen.add(step.target)
                frontier.append(step.target)
    assert seen == set(LoanState)


def test_terminal_states_allow_nothing_and_every_other_state_allows_something() -> None:
    for state in LoanState:
        allowed = steps_from(state, is_startup=True)
        assert (allowed == []) == (state in TERMINAL), state


def test_forward_steps_come_before_exits_and_coaching_is_for_the_startup_fund_only() -> None:
    names = [s.name for s in steps_from(LoanState.INQUIRY)]
    assert names == [StepName.RECEIVE, StepName.WITHDRAW]
    startup = [s.name for s in steps_from(LoanState.INQUIRY, is_startup=True)]
    assert startup == [StepName.START_COACHING, StepName.RECEIVE, StepName.WITHDRAW]


def test_exits_end_in_terminal_states_and_need_a_reason_when_someone_declines() -> None:
    for step in STEPS.values():
        assert step.exit == (step.target in TERMINAL and step.target != LoanState.REPAID)
    for name in (StepName.REFUSE, StepName.DECLINE_BANK, StepName.DECLINE_CGC, StepName.WITHDRAW):
        assert "reason" in STEPS[name].required


def test_on_hold_goes_back_to_the_ward_review() -> None:
    facts = CaseFacts(state=LoanState.ON_HOLD, is_startup=False, received_on=date(2026, 11, 2))
    assert check_step(facts, StepInput(StepName.RESUME, TODAY), TODAY).errors == []
    assert STEPS[StepName.RESUME].target == LoanState.WARD_REVIEW


def test_missing_required_fields_are_named_one_by_one() -> None:
    facts = CaseFacts(
        state=LoanState.BANK_REVIEW,
        is_startup=False,
        received_on=date(2026, 11, 2),
        referral_amount=1_000_000,
    )
    found = check_step(facts, StepInput(StepName.EXECUTE, TODAY), TODAY)
    assert {(e.field, e.code) for e in found.errors} == {
        ("executed_amount", "required"),
        ("term_months", "required"),
        ("grace_months", "required"),
        ("nominal_rate", "required"),
    }
