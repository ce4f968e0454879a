"""Demo data on a real SQLite file: every state, legal histories, consistent figures.

Loans, expert dispatch, shopping streets and subsidies are checked against the domain's rules.

The demo's other rows (staff, businesses, consultations) are tested through the command line
in test_cli.py; these tests call DemoService.fill directly with a fixed anchor date.
"""

import json
import shutil
import sqlite3
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from consult_desk.db.engine import Database
from consult_desk.domain import safety_net
from consult_desk.domain.corporate_number import is_valid_corporate_number
from consult_desk.domain.dispatch import STEPS as DISPATCH_STEPS
from consult_desk.domain.dispatch import DispatchState
from consult_desk.domain.dispatch import StepInput as DispatchStepInput
from consult_desk.domain.dispatch import StepName as DispatchStep
from consult_desk.domain.fiscal import fiscal_year
from consult_desk.domain.loans import (
    ACTIVE_LOAN,
    REFERRED_PENDING,
    STEPS,
    TERMINAL,
    LoanState,
    StepInput,
    StepName,
    earliest_referral,
)
from consult_desk.domain.permissions import SETUP, Principal
from consult_desk.domain.streets import LegalForm, SupportKindCode
from consult_desk.domain.subsidies import COUNTED as SUBSIDY_COUNTED
from consult_desk.domain.subsidies import STEPS as SUBSIDY_STEPS
from consult_desk.domain.subsidies import TERMINAL as SUBSIDY_TERMINAL
from consult_desk.domain.subsidies import StepInput as SubsidyStepInput
from consult_desk.domain.subsidies import StepName as SubsidyStep
from consult_desk.domain.subsidies import SubsidyRule, SubsidyState, eligible_amount
from consult_desk.domain.subsidies import TermsInput as SubsidyTermsInput
from consult_desk.domain.subsidies import report_due as subsidy_report_due
from consult_desk.services.demo import DemoService
from consult_desk.services.demo_loans import case_count
from consult_desk.services.dispatch import DispatchService
from consult_desk.services.loans import LoanService
from consult_desk.services.subsidies import SubsidyService

ANCHOR = date(2026, 11, 30)
WINDOW_START = date(2025, 4, 1)  # the 年度 before the anchor's


@pytest.fixture
def filled(db: Database, admin: Principal, fast_hasher: PasswordHasher, db_path: Path) -> Path:
    summary = DemoService(db, admin, fast_hasher).fill(seed=3, businesses=300, anchor=ANCHOR)
    assert summary.loan_cases == case_count(300) >= len(LoanState)
    assert summary.certifications > 0
    return db_path


def rows(path: Path, sql: str, *params: Any) -> list[sqlite3.Row]:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def test_every_state_occurs(filled: Path) -> None:
    states = {r["status"] for r in rows(filled, "SELECT status FROM loan_case")}
    assert states == {s.value for s in LoanState}


def test_every_history_walks_legal_steps_and_never_goes_back_in_time(filled: Path) -> None:
    startup = {
        r["id"]: bool(r["is_startup"])
        for r in rows(filled, "SELECT id, is_startup FROM loan_program")
    }
    events: dict[int, list[sqlite3.Row]] = defaultdict(list)
    for event in rows(filled, "SELECT * FROM loan_case_event ORDER BY id"):
        events[event["case_id"]].append(event)
    cases = rows(filled, "SELECT * FROM loan_case")
    assert cases
    for case in cases:
        history = events[case["id"]]
        opening = history[0]
        assert (opening["kind"], opening["from_status"], opening["to_status"]) == (
            "transition",
            None,
            LoanState.INQUIRY,
        )
        state, day, interviews = LoanState.INQUIRY, _day(opening["occurred_on"]), 0
        assert day is not None and WINDOW_START <= day <= ANCHOR
        for event in history[1:]:
            on = _day(event["occurred_on"])
            assert on is not None and day <= on <= ANCHOR, (case["id"], event["id"])
            day = on
            assert event["from_status"] == state
            if event["kind"] != "transition":
                assert event["to_status"] == state
                interviews += event["kind"] == "interview"
                continue
            data = json.loads(event["data"])
            step = STEPS[StepName(data["step"])]
            assert state in step.sources and step.target == event["to_status"]
            if step.name == StepName.START_COACHING:
                assert startup[case["program_id"]]
            if step.name == StepName.RECEIVE and startup[case["program_id"]]:
                assert interviews >= 1  # the 起業計画 was coached first
            assert data["before"]["status"] == state  # what an undo restores
            state = LoanState(event["to_status"])
        assert case["status"] == state
        assert _day(case["status_since"]) == max(
            _day(e["occurred_on"]) for e in history if e["kind"] == "transition"
        )
        assert (case["closed_on"] is not None) == (state in TERMINAL)


def test_referrals_amounts_and_caps_follow_the_rules(filled: Path) -> None:
    terms = {r["id"]: r for r in rows(filled, "SELECT * FROM loan_program_terms")}
    caps: dict[tuple[int, int], list[sqlite3.Row]] = defaultdict(list)
    referred = 0
    for case in rows(filled, "SELECT * FROM loan_case"):
        if case["referred_on"] is None:
            assert case["terms_id"] is None and case["referral_amount"] is None
            continue
        referred += 1
        referred_on = _day(case["referred_on"])
        received_on = _day(case["received_on"])
        assert referred_on is not None and received_on is not None
        assert referred_on >= earliest_referral(received_on)
        snapshot = terms[case["terms_id"]]
        assert snapshot["program_id"] == case["program_id"]
        assert _day(snapshot["valid_from"]) <= referred_on <= _day(snapshot["valid_to"])
        for name in ("nominal_rate", "limit_amount", "max_term_months", "max_grace_months"):
            assert case[name] == snapshot[name], name
        assert case["subsidy_rate"] + case["borrower_rate"] == case["nominal_rate"]
        limit = case["limit_amount"]
        assert case["referral_amount"] <= limit
        if case["approved_amount"] is not None:
            assert case["approved_amount"] <= case["referral_amount"]
        if case["executed_amount"] is not None:
            ceiling = case["approved_amount"] or case["referral_amount"]
            assert case["executed_amount"] <= ceiling
            assert case["term_months"] <= case["max_term_months"]
            assert 0 <= case["grace_months"] <= case["max_grace_months"]
        if case["status"] in ACTIVE_LOAN | REFERRED_PENDING:
            caps[(case["business_id"], case["program_id"])].append(case)
    assert referred
    for group in caps.values():
        limit = terms[group[0]["terms_id"]]
        assert len(group) <= limit["max_concurrent_loans"]  # 口数


def test_running_loans_carry_prepayments_and_a_subsidy_stop(filled: Path) -> None:
    kinds = {r["kind"] for r in rows(filled, "SELECT kind FROM loan_case_event")}
    assert {"interview", "prepayment", "subsidy_stop"} <= kinds
    stopped = rows(
        filled,
        "SELECT * FROM loan_case WHERE subsidy_stopped_on IS NOT NULL AND status != ?",
        LoanState.SUBROGATED.value,
    )
    assert stopped and all(r["status"] in ACTIVE_LOAN for r in stopped)
    linked = rows(
        filled,
        "SELECT l.business_id, c.business_id AS other, l.received_on, c.consulted_on"
        " FROM loan_case l JOIN consultation c ON c.id = l.consultation_id",
    )
    assert linked and all(r["business_id"] == r["other"] for r in linked)


def test_demo_cases_work_with_the_loan_service(
    db: Database, admin: Principal, filled: Path
) -> None:
    service = LoanService(db, admin)
    [repaying] = rows(
        filled, "SELECT id FROM loan_case WHERE status = 'REPAYING' ORDER BY id LIMIT 1"
    )
    case = service.get(repaying["id"])
    assert service.schedule(case.id)  # the schedule builds from the demo's terms
    service.undo(case.id, case.version, "デモの確認")
    assert service.get(case.id).state in (LoanState.GRACE, LoanState.EXECUTED)
    [pending] = rows(filled, "SELECT id FROM loan_case WHERE status = 'WARD_REVIEW' LIMIT 1")
    case = service.get(pending["id"])
    service.advance(
        case.id,
        case.version,
        StepInput(StepName.WITHDRAW, ANCHOR, reason="確認"),
        today=ANCHOR,
    )


def test_certifications_are_consistent(filled: Path) -> None:
    found = rows(filled, "SELECT * FROM safety_net_certification")
    assert {r["decision"] for r in found} == {None, "certified", "refused"}
    for row in found:
        kind = safety_net.SafetyNetKind(row["kind"])
        rate = safety_net.decline_rate(row["sales_current"], row["sales_previous"])
        assert row["decline_rate"] == int(rate * 10_000)  # stored in 1/10,000 %
        if row["decision"] == "certified":
            assert rate >= safety_net.THRESHOLDS[kind]
            assert _day(row["valid_until"]) == safety_net.valid_until(_day(row["issued_on"]))
            assert row["certificate_number"]
        else:
            assert row["valid_until"] is None
        if row["decision"] is not None:
            assert _day(row["applied_on"]) <= _day(row["issued_on"]) <= ANCHOR


def _fill(template: Path, path: Path, hasher: PasswordHasher) -> Path:
    shutil.copyfile(template, path)
    database = Database(f"sqlite:///{path}")
    try:
        DemoService(database, SETUP, hasher).fill(seed=5, businesses=60, anchor=ANCHOR)
    finally:
        database.dispose()
    return path


def test_loan_data_is_deterministic_and_the_file_stays_consistent(
    tmp_path: Path, migrated_template: Path, fast_hasher: PasswordHasher
) -> None:
    first = _fill(migrated_template, tmp_path / "a.sqlite", fast_hasher)
    second = _fill(migrated_template, tmp_path / "b.sqlite", fast_hasher)

    for table in ("loan_program_terms", "bank_branch", "loan_case", "loan_case_event"):
        assert [tuple(r) for r in rows(first, f"SELECT * FROM {table} ORDER BY id")] == [
            tuple(r) for r in rows(second, f"SELECT * FROM {table} ORDER BY id")
        ], table
    certifications = "SELECT * FROM safety_net_certification ORDER BY id"
    assert [tuple(r) for r in rows(first, certifications)] == [
        tuple(r) for r in rows(second, certifications)
    ]
    assert len(rows(first, "SELECT id FROM loan_case")) == case_count(60)
    assert rows(first, "PRAGMA foreign_key_check") == []


# --- expert dispatch, shopping streets and subsidies --------------------------------------------


def _by(path: Path, sql: str, key: str) -> dict[Any, list[sqlite3.Row]]:
    found: dict[Any, list[sqlite3.Row]] = defaultdict(list)
    for row in rows(path, sql):
        found[row[key]].append(row)
    return found


def test_every_dispatch_and_subsidy_state_occurs(filled: Path) -> None:
    dispatches = {r["status"] for r in rows(filled, "SELECT status FROM expert_dispatch")}
    applications = {r["status"] for r in rows(filled, "SELECT status FROM subsidy_application")}

    assert dispatches == {s.value for s in DispatchState}
    assert applications == {s.value for s in SubsidyState}
    applicants = rows(
        filled,
        "SELECT count(business_id) AS businesses, count(association_id) AS streets"
        " FROM subsidy_application",
    )[0]
    assert applicants["businesses"] > 0 and applicants["streets"] > 0


def test_dispatch_histories_are_legal_and_visits_keep_every_rule(filled: Path) -> None:
    events = _by(filled, "SELECT * FROM dispatch_event ORDER BY id", "dispatch_id")
    visits = _by(filled, "SELECT * FROM dispatch_visit ORDER BY number", "dispatch_id")
    experts = {r["id"]: r for r in rows(filled, "SELECT * FROM expert")}
    caps = {
        (r["program_id"], r["fiscal_year"]): r["max_visits_per_business"]
        for r in rows(filled, "SELECT * FROM dispatch_program_terms")
    }
    used: dict[tuple[int, int, int], int] = defaultdict(int)
    dispatches = rows(filled, "SELECT * FROM expert_dispatch")
    assert dispatches
    for dispatch in dispatches:
        history = events[dispatch["id"]]
        applied_on = _day(dispatch["applied_on"])
        assert applied_on is not None and applied_on >= WINDOW_START
        assert (history[0]["from_status"], history[0]["to_status"]) == (None, "applied")
        assert _day(history[0]["occurred_on"]) == applied_on
        assert dispatch["fiscal_year"] == fiscal_year(applied_on)
        state, day, on_step = DispatchState.APPLIED, applied_on, {}
        for event in history[1:]:
            on = _day(event["occurred_on"])
            assert on is not None and day <= on <= ANCHOR, dispatch["id"]
            assert event["from_status"] == state
            [step] = [
                s
                for s in DISPATCH_STEPS.values()
                if state in s.sources and s.target == event["to_status"]
            ]
            state, day = DispatchState(event["to_status"]), on
            on_step[step.name] = on
        assert dispatch["status"] == state
        for name, column in (
            (DispatchStep.APPROVE, "decided_on"),
            (DispatchStep.COMPLETE, "completed_on"),
            (DispatchStep.REPORT, "report_received_on"),
            (DispatchStep.PAY, "paid_on"),
            (DispatchStep.CANCEL, "cancelled_on"),
        ):
            assert _day(dispatch[column]) == on_step.get(name), (dispatch["id"], column)
        if dispatch["completed_on"]:
            due = _day(dispatch["completed_on"]) + timedelta(days=30)  # type: ignore[operator]
            assert _day(dispatch["report_due_on"]) == due

        mine = visits[dispatch["id"]]
        assert [v["number"] for v in mine] == list(range(1, len(mine) + 1))
        if dispatch["status"] in ("applied", "reviewing", "approved"):
            assert mine == []
        if dispatch["status"] in ("in_progress", "completed", "reported", "paid"):
            assert mine
        if mine:
            decided_on = _day(dispatch["decided_on"])
            assert decided_on is not None
            assert len(mine) <= dispatch["approved_visits"]
            assert on_step[DispatchStep.START] == _day(mine[0]["visited_on"])
            previous = decided_on
            for visit in mine:
                on = _day(visit["visited_on"])
                assert on is not None and previous <= on <= ANCHOR
                previous = on
                expert = experts[visit["expert_id"]]
                assert expert["active"]
                assert _day(expert["registered_from"]) <= on
                assert expert["registered_to"] is None or on <= _day(expert["registered_to"])
                assert visit["end_time"] > visit["start_time"]
                if visit["report_received_on"]:
                    assert on <= _day(visit["report_received_on"]) <= ANCHOR
                used[(dispatch["business_id"], dispatch["program_id"], fiscal_year(on))] += 1
            if dispatch["completed_on"]:
                assert previous <= _day(dispatch["completed_on"])
    assert used
    for (_, program_id, year), count in used.items():
        assert count <= caps.get((program_id, year), 8)
    linked = rows(
        filled,
        "SELECT d.business_id, c.business_id AS other, d.applied_on, c.consulted_on"
        " FROM expert_dispatch d JOIN consultation c ON c.id = d.consultation_id",
    )
    assert linked and all(
        r["business_id"] == r["other"] and r["consulted_on"] <= r["applied_on"] for r in linked
    )
    registrations = [_day(e["registered_to"]) for e in experts.values()]
    assert any(end is not None and end < ANCHOR for end in registrations)  # some expired
    fees = [e["fee_per_visit"] for e in experts.values() if e["fee_per_visit"] is not None]
    assert fees and all(11_550 <= fee <= 30_000 for fee in fees)


def _rules(path: Path) -> dict[int, list[tuple[date, date | None, SubsidyRule]]]:
    found: dict[int, list[tuple[date, date | None, SubsidyRule]]] = defaultdict(list)
    for t in rows(path, "SELECT * FROM subsidy_program_terms"):
        value = SubsidyTermsInput(
            **{name: t[name] for name in SubsidyTermsInput.__dataclass_fields__}
        )
        value = replace(value, valid_from=_day(t["valid_from"]), valid_to=_day(t["valid_to"]))
        found[t["program_id"]].append((value.valid_from, value.valid_to, value.rule()))
    return found


def _rule_on(terms: list[tuple[date, date | None, SubsidyRule]], on: date) -> SubsidyRule:
    return max(
        (t for t in terms if t[0] <= on and (t[1] is None or on <= t[1])), key=lambda t: t[0]
    )[2]


def test_subsidy_histories_amounts_and_yearly_limits_follow_the_rules(filled: Path) -> None:
    rules = _rules(filled)
    events = _by(filled, "SELECT * FROM subsidy_event ORDER BY id", "application_id")
    street_events = {r["id"]: r for r in rows(filled, "SELECT * FROM street_event")}
    counted: dict[tuple[int, int, int, int], int] = defaultdict(int)
    applications = rows(filled, "SELECT * FROM subsidy_application")
    for application in applications:
        applied_on = _day(application["applied_on"])
        assert applied_on is not None and WINDOW_START <= applied_on <= ANCHOR
        assert application["fiscal_year"] == fiscal_year(applied_on)
        assert (application["business_id"] is None) != (application["association_id"] is None)
        history = events[application["id"]]
        assert (history[0]["from_status"], history[0]["to_status"]) == (None, "applied")
        assert _day(history[0]["occurred_on"]) == applied_on
        state, day = SubsidyState.APPLIED, applied_on
        for event in history[1:]:
            on = _day(event["occurred_on"])
            assert on is not None and day <= on <= ANCHOR, application["id"]
            assert any(
                state in s.sources and s.target == event["to_status"]
                for s in SUBSIDY_STEPS.values()
            )
            state, day = SubsidyState(event["to_status"]), on
        assert application["status"] == state
        rule = _rule_on(rules[application["program_id"]], applied_on)
        assert application["computed_amount"] == eligible_amount(rule, application["eligible_cost"])
        granted = application["granted_amount"]
        if granted is not None:
            assert granted <= application["computed_amount"]
            assert _day(application["report_due_on"]) == subsidy_report_due(
                rule, _day(application["activity_ends_on"])
            )
        if application["confirmed_amount"] is not None:
            assert application["confirmed_amount"] <= granted
        if state == SubsidyState.PAID:
            assert application["paid_amount"] == application["confirmed_amount"]
        assert (application["closed_on"] is not None) == (state in SUBSIDY_TERMINAL)
        if application["event_id"] is not None:
            event = street_events[application["event_id"]]
            assert event["association_id"] == application["association_id"]
            assert application["activity_ends_on"] == event["ends_on"]
        if state in SUBSIDY_COUNTED:
            applicant = application["business_id"] or -application["association_id"]
            key = (applicant, application["program_id"], application["fiscal_year"], 0)
            counted[key] += 1
            limit = rule.max_per_fiscal_year
            assert limit is None or counted[key] <= limit, application["id"]
    # The street-event program: ⅚ up to ¥1,000,000, ⅔ above, capped at ¥3,000,000.
    [street_program] = rows(filled, "SELECT id FROM subsidy_program WHERE target = 'street'")
    [street_rule] = [t[2] for t in rules[street_program["id"]]]
    assert eligible_amount(street_rule, 1_000_000) == 833_000
    assert eligible_amount(street_rule, 6_000_000) == 3_000_000


def test_streets_members_events_and_support_are_consistent(filled: Path) -> None:
    associations = rows(filled, "SELECT * FROM street_association")
    assert 15 <= len(associations) <= 25
    assert {a["legal_form"] for a in associations} >= {
        LegalForm.PROMOTION_UNION,
        LegalForm.COOPERATIVE,
        LegalForm.VOLUNTARY,
    }
    for association in associations:
        number = association["corporate_number"]
        if LegalForm(association["legal_form"]).incorporated:
            assert number and is_valid_corporate_number(number)
            assert association["incorporated_on"]
        else:
            assert number is None and association["incorporated_on"] is None
    years = rows(filled, "SELECT DISTINCT fiscal_year FROM street_membership ORDER BY 1")
    assert [r["fiscal_year"] for r in years] == [2025, 2026]
    towns = _by(filled, "SELECT * FROM street_association_town", "association_id")
    members = rows(
        filled,
        "SELECT id, town_id, street_association_id FROM business"
        " WHERE street_association_id IS NOT NULL",
    )
    assert members
    for business in members:
        covered = {t["town_id"] for t in towns[business["street_association_id"]]}
        assert business["town_id"] in covered

    kinds = {r["id"]: r["code"] for r in rows(filled, "SELECT id, code FROM support_kind")}
    supports = rows(filled, "SELECT * FROM street_support")
    assert {kinds[s["kind_id"]] for s in supports} == set(kinds.values())
    for support in supports:
        assert WINDOW_START <= _day(support["supported_on"]) <= ANCHOR  # type: ignore[operator]
        if kinds[support["kind_id"]] == SupportKindCode.UNIVERSITY:
            assert support["university"] and support["student_count"]
        else:
            assert support["university"] == "" and support["student_count"] is None
    by_id = {s["id"]: s for s in supports}
    events = rows(filled, "SELECT * FROM street_event")
    assert events and any(e["support_id"] for e in events)
    for event in events:
        assert event["ends_on"] >= event["starts_on"]
        if event["support_id"] is not None:
            support = by_id[event["support_id"]]
            assert kinds[support["kind_id"]] == SupportKindCode.EVENT
            assert support["association_id"] == event["association_id"]
        if event["ends_on"] > ANCHOR.isoformat():
            assert event["visitors"] is None  # not held yet


def test_demo_dispatches_and_applications_work_with_the_services(
    db: Database, admin: Principal, filled: Path
) -> None:
    dispatches = DispatchService(db, admin)
    [running] = rows(
        filled, "SELECT id FROM expert_dispatch WHERE status = 'in_progress' ORDER BY id LIMIT 1"
    )
    view = dispatches.get(running["id"])
    assert view.fee_total > 0 and view.visits == len(dispatches.visits(view.id))
    dispatches.advance(
        view.id, view.version, DispatchStepInput(DispatchStep.COMPLETE, ANCHOR), today=ANCHOR
    )
    subsidies = SubsidyService(db, admin)
    [granted] = rows(
        filled, "SELECT id FROM subsidy_application WHERE status = 'granted' ORDER BY id LIMIT 1"
    )
    application = subsidies.get(granted["id"])
    assert len(subsidies.history(application.id)) >= 2
    subsidies.advance(
        application.id,
        application.version,
        SubsidyStepInput(SubsidyStep.WITHDRAW, ANCHOR, reason="確認"),
        today=ANCHOR,
    )


def test_support_data_is_deterministic_and_a_second_run_adds_no_streets(
    tmp_path: Path, migrated_template: Path, fast_hasher: PasswordHasher
) -> None:
    first = _fill(migrated_template, tmp_path / "a.sqlite", fast_hasher)
    second = _fill(migrated_template, tmp_path / "b.sqlite", fast_hasher)
    tables = (
        "expert",
        "expert_dispatch",
        "dispatch_visit",
        "dispatch_event",
        "street_association",
        "street_membership",
        "street_support",
        "street_event",
        "subsidy_application",
        "subsidy_event",
    )
    for table in tables:
        assert [tuple(r) for r in rows(first, f"SELECT * FROM {table} ORDER BY id")] == [
            tuple(r) for r in rows(second, f"SELECT * FROM {table} ORDER BY id")
        ], table

    database = Database(f"sqlite:///{first}")
    try:
        again = DemoService(database, SETUP, fast_hasher).fill(seed=6, businesses=60, anchor=ANCHOR)
    finally:
        database.dispose()

    assert again.associations == 0 and again.experts == 0  # found by name, not added again
    assert again.dispatches > 0 and again.subsidy_applications > 0
    names = rows(first, "SELECT name FROM street_association")
    assert len({r["name"] for r in names}) == len(names)
    assert rows(first, "PRAGMA foreign_key_check") == []
