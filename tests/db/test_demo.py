"""Demo loan data on a real SQLite file: every state, legal histories, consistent figures.

The demo's other rows (staff, businesses, consultations) are tested through the command line
in test_cli.py; these tests call DemoService.fill directly with a fixed anchor date.
"""

import json
import shutil
import sqlite3
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from consult_desk.db.engine import Database
from consult_desk.domain import safety_net
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
from consult_desk.services.demo import DemoService
from consult_desk.services.demo_loans import case_count
from consult_desk.services.loans import LoanService

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
