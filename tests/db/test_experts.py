"""The expert register on a real SQLite file: registration, search, validity, fees, rights."""

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog, Staff, StaffRole
from consult_desk.domain.dispatch import ExpertInput, ExpertQuery
from consult_desk.domain.errors import Conflict, ValidationError
from consult_desk.domain.permissions import PermissionDenied, Principal, Role
from consult_desk.services.experts import ExpertService

TANAKA = ExpertInput(
    name="田中　一郎",
    name_kana="たなか いちろう",
    qualifications=("社会保険労務士", "中小企業診断士"),
    fields="労務管理、就業規則",
    registered_from=date(2024, 4, 1),
    registered_to=date(2027, 3, 31),
    fee_per_visit=15_000,
    email="tanaka@example.jp",
)


@pytest.fixture
def service(db: Database, admin: Principal) -> ExpertService:
    return ExpertService(db, admin)


def _add_register(service: ExpertService) -> dict[str, int]:
    return {
        "tanaka": service.add(TANAKA),
        "abe": service.add(
            ExpertInput(
                name="阿部 デザイン事務所",
                name_kana="アベ",
                qualifications=("デザイナー",),
                fields="パッケージ、Webサイト",
                registered_from=date(2026, 10, 1),
            )
        ),
        "kato": service.add(
            ExpertInput(
                name="加藤 法律事務所",
                name_kana="カトウ",
                qualifications=("弁護士",),
                registered_from=date(2020, 4, 1),
                active=False,
            )
        ),
        "ueda": service.add(
            ExpertInput(
                name="上田 IT",
                name_kana="ウエダ",
                qualifications=("ITコーディネータ",),
                fields="クラウド会計、DX",
                registered_from=date(2022, 4, 1),
            )
        ),
    }


def test_an_expert_is_registered_with_qualifications_and_normalised_text(
    db: Database, service: ExpertService
) -> None:
    expert_id = service.add(TANAKA)
    row = service.get(expert_id)
    assert (row.name, row.name_kana, row.sort_key) == (
        "田中 一郎",
        "たなか いちろう",
        "タナカイチロウ",
    )
    # The usual order of qualifications, whatever order they were typed in.
    assert row.qualifications == ("中小企業診断士", "社会保険労務士")
    assert (row.registered_to, row.fee_per_visit, row.active) == (date(2027, 3, 31), 15_000, True)

    version = service.update(
        expert_id,
        row.version,
        replace(row.as_input(), qualifications=("税理士", "中小企業診断士"), registered_to=None),
    )
    row = service.get(expert_id)
    assert row.version == version == 2
    assert row.qualifications == ("中小企業診断士", "税理士") and row.registered_to is None
    with db.read() as session:
        changes = session.scalars(
            select(AuditLog.changes).where(
                AuditLog.record_kind == "expert", AuditLog.action == "update"
            )
        ).one()
    assert "社会保険労務士" in changes and "registered_to" in changes


def test_invalid_registrations_are_refused_with_field_codes(service: ExpertService) -> None:
    with pytest.raises(ValidationError) as refused:
        service.add(
            replace(TANAKA, name="", registered_to=date(2024, 3, 31), fee_per_visit=-15_000)
        )
    assert refused.value.codes() == {
        "name": "required",
        "registered_to": "expert.registration_period",
        "fee_per_visit": "negative",
    }
    with pytest.raises(ValidationError) as refused:
        service.add(replace(TANAKA, registered_from=None))
    assert refused.value.codes() == {"registered_from": "required"}
    assert service.count(ExpertQuery(active=None)) == 0


def test_a_stale_version_is_a_conflict_and_keeps_the_stored_expert(service: ExpertService) -> None:
    expert_id = service.add(TANAKA)
    shown = service.get(expert_id)
    service.update(expert_id, shown.version, replace(shown.as_input(), fee_per_visit=16_000))
    with pytest.raises(Conflict):
        service.update(expert_id, shown.version, replace(shown.as_input(), fee_per_visit=1))
    assert service.get(expert_id).fee_per_visit == 16_000


def test_search_by_name_reading_qualification_and_field(service: ExpertService) -> None:
    ids = _add_register(service)

    def found(**query: object) -> list[int]:
        return [r.id for r in service.page(ExpertQuery(**query))]  # type: ignore[arg-type]

    # Reading order: アベ, ウエダ, タナカ (加藤 is inactive and hidden by default).
    assert found() == [ids["abe"], ids["ueda"], ids["tanaka"]]
    assert found(active=None) == [ids["abe"], ids["ueda"], ids["kato"], ids["tanaka"]]
    assert found(text="タナカ") == [ids["tanaka"]]  # katakana typed, hiragana stored
    assert found(text="田中") == [ids["tanaka"]]
    assert found(text="労務士") == [ids["tanaka"]]  # part of a qualification
    assert found(text="ｄｘ") == [ids["ueda"]]  # full-width, lower case, in the fields
    assert found(text="診断士 就業規則") == [ids["tanaka"]]  # every word must match
    assert found(text="100%_") == []  # LIKE's wildcards are literal
    assert found(qualification="デザイナー") == [ids["abe"]]
    assert found(qualification="弁護士", active=None) == [ids["kato"]]
    assert found(valid_on=date(2026, 9, 30)) == [ids["ueda"], ids["tanaka"]]
    assert service.count(ExpertQuery(active=None)) == 4
    assert service.count(ExpertQuery(active=None), cap=2) == 3
    first = service.page(ExpertQuery(active=None), limit=2)
    rest = service.page(ExpertQuery(active=None), after=first[-1])
    assert [r.id for r in first + rest] == found(active=None)


def test_only_registrations_valid_that_day_are_assignable(service: ExpertService) -> None:
    ids = _add_register(service)

    def names(on: date) -> list[str]:
        return [r.name for r in service.assignable(on)]

    # 田中 until 31 March 2027, 阿部 from 1 October 2026, 加藤 inactive, 上田 open-ended.
    assert names(date(2026, 9, 30)) == ["上田 IT", "田中 一郎"]
    assert names(date(2026, 10, 1)) == ["阿部 デザイン事務所", "上田 IT", "田中 一郎"]
    assert names(date(2027, 3, 31)) == ["阿部 デザイン事務所", "上田 IT", "田中 一郎"]
    assert names(date(2027, 4, 1)) == ["阿部 デザイン事務所", "上田 IT"]
    tanaka = service.get(ids["tanaka"])
    assert tanaka.assignable_on(date(2027, 3, 31)) and not tanaka.assignable_on(date(2027, 4, 1))


def test_consultants_read_the_register_administrators_edit_it(
    db: Database, service: ExpertService
) -> None:
    expert_id = service.add(TANAKA)
    with db.write() as session:
        member = Staff(login="c1", name="相談員")
        member.roles.append(StaffRole(role="consultant"))
        session.add(member)
        session.flush()
        consultant = ExpertService(
            db, Principal(member.id, "c1", "相談員", frozenset({Role.CONSULTANT}))
        )
    assert [r.id for r in consultant.assignable(date(2026, 6, 1))] == [expert_id]
    assert consultant.fees(2026) == []
    shown = consultant.get(expert_id)
    with pytest.raises(PermissionDenied):
        consultant.add(TANAKA)
    with pytest.raises(PermissionDenied):
        consultant.update(expert_id, shown.version, shown.as_input())
    with db.read() as session:
        actions = list(
            session.scalars(select(AuditLog.action).where(AuditLog.record_kind == "expert"))
        )
    assert actions == ["create"]
