"""事業者カルテ: every kind of record in date order, the trash left out, notes only when asked
for, amounts and personal data masked per role, and the ID / 法人番号 a user types."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import (
    Business,
    Consultation,
    ConsultationChannel,
    ConsultationInitiative,
    ConsultationTopic,
    ConsultationTopicLink,
    DispatchProgram,
    DispatchVisit,
    Expert,
    ExpertDispatch,
    Initiative,
    LoanCase,
    LoanCaseEvent,
    SafetyNetCertification,
    StreetAssociation,
    StreetEvent,
    StreetSupport,
    SubsidyApplication,
    SubsidyProgram,
    SupportKind,
)
from consult_desk.domain.errors import DomainError
from consult_desk.domain.messages import MESSAGES, message_for
from consult_desk.domain.permissions import MASK, PermissionDenied, Principal, Role
from consult_desk.services import report_business
from consult_desk.services.report_business import (
    BusinessKeyError,
    build_business_report,
    business_json,
    resolve_business,
)
from consult_desk.services.reporting import ReportingService
from tests.loan_setup import LoanWorld, make_loan_world

NUMBER = "1180301018771"  # a valid 法人番号 (DOMAIN.md §5.2)
OTHER_VALID_NUMBER = "4000012090001"  # valid, but no business has it
HOME = "千代田区神田1-1-1"
MOBILE = "090-1111-2222"


@dataclass(frozen=True)
class Karte:
    world: LoanWorld
    business_id: int
    other_business_id: int
    trashed_business_id: int
    association_id: int
    consultations: tuple[int, int]  # live ones, oldest first
    trashed_consultation_id: int
    loan_id: int
    note_event_id: int
    dispatch_id: int
    subsidy_id: int
    certification_id: int


def _initiative(session: object, code: str) -> int:
    found = session.scalar(select(Initiative.id).where(Initiative.code == code))  # type: ignore[attr-defined]
    assert found is not None
    return int(found)


def _build(db: Database, staff_id: int) -> Karte:
    world = make_loan_world(db)
    with db.write() as s:
        channel = s.scalars(select(ConsultationChannel).order_by(ConsultationChannel.id)).first()
        topics = s.scalars(select(ConsultationTopic).order_by(ConsultationTopic.id)).all()[:2]
        assert channel is not None and len(topics) == 2
        street = StreetAssociation(
            name="神田すずらん通り商店街振興組合",
            sort_key="かんだすずらん",
            legal_form="商店街振興組合",
            area="神田地域",
        )
        other_street = StreetAssociation(
            name="麹町大通り商店会", sort_key="こうじまち", legal_form="任意商店会", area="麹町地域"
        )
        s.add_all([street, other_street])
        s.flush()
        business = s.get(Business, world.business_id)
        assert business is not None
        business.corporate_number = NUMBER
        business.representative_name = "青果 一郎"
        business.representative_address = HOME
        business.representative_phone = MOBILE
        business.summary = "後継者の育成が課題。資金繰りは安定。"
        business.street_association_id = street.id
        other = Business(
            kind="corporation", name="神保町書店", sort_key="じんぼう", sme_status="小規模企業者"
        )
        trashed = Business(
            kind="corporation",
            name="削除済み商事",
            sort_key="さくじょ",
            sme_status="小規模企業者",
            deleted_at=datetime(2026, 5, 1, tzinfo=UTC),
        )
        s.add_all([other, trashed])
        s.flush()

        def consult(on: date, business_id: int, **values: object) -> Consultation:
            row = Consultation(
                consulted_on=on,
                channel_id=channel.id,
                staff_id=staff_id,
                business_id=business_id,
                **values,
            )
            s.add(row)
            s.flush()
            return row

        later = consult(
            date(2026, 9, 1),
            business.id,
            summary="運転資金の相談",
            advice="あっせん制度を案内",
            referrals="融資あっせん",
            next_action="必要書類をそろえる",
            due_on=date(2026, 9, 15),
            done=True,
            done_on=date(2026, 9, 10),
            done_note="家族の事情で書類が遅れた（内部）",
        )
        earlier = consult(date(2026, 4, 1), business.id, summary="創業10年目の事業計画")
        trashed_consultation = consult(
            date(2026, 6, 1),
            business.id,
            summary="誤って登録",
            deleted_at=datetime(2026, 6, 2, tzinfo=UTC),
        )
        consult(date(2026, 7, 1), other.id, summary="他社の相談")
        s.add_all(
            [
                ConsultationTopicLink(consultation_id=later.id, topic_id=topics[1].id),
                ConsultationTopicLink(
                    consultation_id=later.id, topic_id=topics[0].id, is_primary=True
                ),
                ConsultationInitiative(
                    consultation_id=later.id, initiative_id=_initiative(s, "1-2-1")
                ),
                ConsultationInitiative(
                    consultation_id=later.id, initiative_id=_initiative(s, "1-2-2")
                ),
            ]
        )

        loan = LoanCase(
            business_id=business.id,
            program_id=world.program_id,
            initiative_id=_initiative(s, "1-2-1"),
            status="REFERRAL_ISSUED",
            status_since=date(2026, 9, 20),
            received_on=date(2026, 9, 12),
            requested_amount=5_000_000,
            referral_amount=4_000_000,
            referred_on=date(2026, 9, 20),
            referral_number="R-1",
            bank_id=world.bank_id,
            branch_id=world.branch_id,
        )
        s.add(loan)
        s.flush()

        def event(kind: str, on: date, to: str, data: dict[str, object], **values: object) -> int:
            row = LoanCaseEvent(
                case_id=loan.id,
                kind=kind,
                from_status=values.pop("from_status", None),
                to_status=to,
                occurred_on=on,
                staff_id=staff_id,
                data=json.dumps(data),
                **values,
            )
            s.add(row)
            s.flush()
            return row.id

        event("transition", date(2026, 9, 12), "INQUIRY", {"opened": True})
        receive = event(
            "transition",
            date(2026, 9, 12),
            "RECEIVED",
            {"step": "receive", "values": {"requested_amount": 5_000_000}},
            from_status="INQUIRY",
        )
        event("undo", date(2026, 9, 13), "INQUIRY", {"undoes": receive}, from_status="RECEIVED")
        note = event(
            "note", date(2026, 9, 14), "INQUIRY", {}, from_status="INQUIRY", reason="社長は入院中"
        )
        event(
            "transition",
            date(2026, 9, 20),
            "REFERRAL_ISSUED",
            {"step": "refer", "values": {"referral_amount": 4_000_000}},
            from_status="WARD_REVIEW",
            reason="要件を満たす",
        )

        certification = SafetyNetCertification(
            business_id=business.id,
            kind="4号",
            applied_on=date(2026, 5, 10),
            sales_current=700_000,
            sales_previous=1_000_000,
            decline_rate=30,
            decision="certified",
            certificate_number="SN-7",
            issued_on=date(2026, 5, 12),
            valid_until=date(2026, 6, 10),
            notes="売上の資料は写し（内部）",
        )
        program = DispatchProgram(name="専門家派遣（経営改善）")
        expert = Expert(name="山田 太郎", sort_key="やまだ", registered_from=date(2020, 4, 1))
        s.add_all([certification, program, expert])
        s.flush()
        dispatch = ExpertDispatch(
            business_id=business.id,
            program_id=program.id,
            initiative_id=_initiative(s, "1-2-2"),
            expert_id=expert.id,
            staff_id=staff_id,
            theme="事業承継の計画",
            fiscal_year=2026,
            status="in_progress",
            applied_on=date(2026, 4, 10),
            decided_on=date(2026, 4, 20),
            approved_visits=3,
            notes="紹介者との関係に配慮（内部）",
        )
        s.add(dispatch)
        s.flush()
        s.add_all(
            [
                DispatchVisit(
                    dispatch_id=dispatch.id,
                    number=n,
                    visited_on=on,
                    expert_id=expert.id,
                    place="事業所",
                    issues=f"課題{n}",
                    advice=f"助言{n}",
                    fee=11_550,
                )
                for n, on in ((2, date(2026, 5, 20)), (1, date(2026, 5, 1)))
            ]
        )
        subsidy_program = SubsidyProgram(name="中小企業販路拡大事業支援補助", target="business")
        s.add(subsidy_program)
        s.flush()
        subsidy = SubsidyApplication(
            program_id=subsidy_program.id,
            business_id=business.id,
            initiative_id=_initiative(s, "1-3-1"),
            fiscal_year=2026,
            status="granted",
            title="展示会出展",
            applied_on=date(2026, 6, 15),
            requested_amount=100_000,
            granted_amount=100_000,
            decided_on=date(2026, 7, 1),
            notes="申請書の不備あり（内部）",
        )
        kind = s.scalars(select(SupportKind).order_by(SupportKind.id)).first()
        assert kind is not None
        s.add(subsidy)
        s.add_all(
            [
                StreetSupport(
                    association_id=street.id,
                    kind_id=kind.id,
                    initiative_id=_initiative(s, "2-1-1"),
                    supported_on=date(2026, 8, 1),
                    title="法人化の相談",
                    notes="理事会の対立あり（内部）",
                ),
                StreetSupport(
                    association_id=other_street.id,
                    kind_id=kind.id,
                    initiative_id=_initiative(s, "2-1-1"),
                    supported_on=date(2026, 8, 2),
                    title="他の商店街の相談",
                ),
                StreetEvent(
                    association_id=street.id,
                    initiative_id=_initiative(s, "2-2-1"),
                    name="すずらんまつり",
                    starts_on=date(2026, 5, 16),
                    ends_on=date(2026, 5, 17),
                    visitors=30_000,
                ),
            ]
        )
        s.flush()
        return Karte(
            world=world,
            business_id=business.id,
            other_business_id=other.id,
            trashed_business_id=trashed.id,
            association_id=street.id,
            consultations=(earlier.id, later.id),
            trashed_consultation_id=trashed_consultation.id,
            loan_id=loan.id,
            note_event_id=note,
            dispatch_id=dispatch.id,
            subsidy_id=subsidy.id,
            certification_id=certification.id,
        )


@pytest.fixture
def karte(db: Database, staff_id: int) -> Karte:
    return _build(db, staff_id)


def _as(role: Role, *, grant: bool = False) -> Principal:
    return Principal(1, role.value, role.label, frozenset({role}), loan_amount_grant=grant)


def _report(db: Database, principal: Principal, business_id: int, **kw: bool):  # type: ignore[no-untyped-def]
    with db.read() as session:
        return build_business_report(session, principal, business_id, **kw)


# --- finding the business ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        NUMBER,
        "1-1803-0101-8771",
        "１１８０３０１０１８７７１",
        " 1180 3010 18771 ",
        "１－１８０３－０１０１－８７７１",
    ],
)
def test_a_corporate_number_is_read_as_people_type_it(
    db: Database, karte: Karte, typed: str
) -> None:
    with db.read() as session:
        assert resolve_business(session, typed) == karte.business_id


def test_an_id_is_read_in_half_or_full_width(db: Database, karte: Karte) -> None:
    with db.read() as session:
        assert resolve_business(session, str(karte.business_id)) == karte.business_id
        full = str(karte.other_business_id).translate(
            str.maketrans("0123456789", "０１２３４５６７８９")
        )
        assert resolve_business(session, full) == karte.other_business_id


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("1180301018772", "corporate_number.check_digit"),  # the last digit altered
        (OTHER_VALID_NUMBER, "report.business_unknown_number"),
        ("999999", "report.business_unknown_id"),
        ("abc", "report.business_key_format"),
        ("", "report.business_key_format"),
        ("12a", "report.business_key_format"),
        ("11803010187711", "report.business_key_format"),  # 14 digits
    ],
)
def test_a_key_that_names_no_business_says_why_in_japanese(
    db: Database, karte: Karte, typed: str, code: str
) -> None:
    with db.read() as session, pytest.raises(BusinessKeyError) as caught:
        resolve_business(session, typed)

    assert caught.value.code == code
    assert code in MESSAGES  # a message of its own, not the generic fallback
    assert "法人番号" in message_for(code) or "事業者" in message_for(code)


def test_a_business_in_the_trash_is_not_found_by_id_or_by_the_builder(
    db: Database, karte: Karte, admin: Principal
) -> None:
    with db.read() as session:
        with pytest.raises(BusinessKeyError) as caught:
            resolve_business(session, str(karte.trashed_business_id))
        assert caught.value.code == "report.business_unknown_id"
        with pytest.raises(BusinessKeyError):
            build_business_report(session, admin, karte.trashed_business_id)


# --- the karte ---------------------------------------------------------------------------------


def test_every_kind_of_record_is_in_the_list_in_date_order(
    db: Database, karte: Karte, admin: Principal
) -> None:
    report = _report(db, admin, karte.business_id)

    kinds = [(e.on, e.kind) for e in report.entries]
    assert kinds == [
        (date(2026, 4, 1), "consultation"),
        (date(2026, 4, 10), "dispatch"),
        (date(2026, 5, 1), "dispatch_visit"),
        (date(2026, 5, 10), "safety_net"),
        (date(2026, 5, 16), "street_event"),
        (date(2026, 5, 20), "dispatch_visit"),
        (date(2026, 6, 15), "subsidy"),
        (date(2026, 8, 1), "street_support"),
        (date(2026, 9, 1), "consultation"),
        (date(2026, 9, 12), "loan"),
    ]
    assert [c.id for c in report.consultations] == list(karte.consultations)
    ids = {e.record_id for e in report.entries if e.kind == "consultation"}
    assert karte.trashed_consultation_id not in ids  # the trash is left out
    assert all("他社" not in c.summary for c in report.consultations)
    assert [e.title for e in report.street] == [
        "すずらんまつり",
        "法人化の相談",
    ]  # its own street only
    assert report.profile.street_association == "神田すずらん通り商店街振興組合"
    assert report.summary == "後継者の育成が課題。資金繰りは安定。"
    assert report.omitted == ()


def test_a_consultation_shows_its_channel_topics_initiatives_and_follow_up(
    db: Database, karte: Karte, admin: Principal
) -> None:
    report = _report(db, admin, karte.business_id)

    later = report.consultations[-1]
    with db.read() as session:
        primary = session.scalars(
            select(ConsultationTopic.name).order_by(ConsultationTopic.id)
        ).first()
    assert later.topics[0] == primary  # the primary topic first
    assert len(later.topics) == 2
    assert later.initiatives == ("1-2-1", "1-2-2")
    assert (later.advice, later.referrals, later.next_action) == (
        "あっせん制度を案内",
        "融資あっせん",
        "必要書類をそろえる",
    )
    assert later.due_on == date(2026, 9, 15) and later.done
    assert later.staff == "佐藤 花子"


def test_internal_notes_are_left_out_unless_asked_for(
    db: Database, karte: Karte, admin: Principal
) -> None:
    plain = _report(db, admin, karte.business_id)
    noted = _report(db, admin, karte.business_id, include_notes=True)

    assert not plain.notes_included and noted.notes_included
    assert plain.consultations[-1].done_note is None
    assert noted.consultations[-1].done_note == "家族の事情で書類が遅れた（内部）"
    for kind in ("safety_net", "dispatches", "subsidies", "street"):
        assert all(x.notes is None for x in getattr(plain, kind)), kind
    assert noted.safety_net[0].notes == "売上の資料は写し（内部）"
    assert noted.dispatches[0].notes == "紹介者との関係に配慮（内部）"
    assert noted.subsidies[0].notes == "申請書の不備あり（内部）"
    assert "理事会の対立あり（内部）" in [x.notes for x in noted.street]
    memo = [h for h in plain.loans[0].history if h.label == "メモ"]
    assert memo and memo[0].reason is None
    assert [h.reason for h in noted.loans[0].history if h.label == "メモ"] == ["社長は入院中"]
    # A step's reason is part of the case, not a memo: always shown.
    assert "要件を満たす" in [h.reason for h in plain.loans[0].history]
    text = json.dumps(business_json(plain), ensure_ascii=False)
    assert "（内部）" not in text and "入院" not in text


def test_loan_history_labels_steps_and_marks_the_undone_one(
    db: Database, karte: Karte, admin: Principal
) -> None:
    loan = _report(db, admin, karte.business_id).loans[0]

    labels = [h.label for h in loan.history]
    assert labels[0] == "案件の登録"
    assert labels[1] == "受付（面談済み）" and labels[-1] == "あっせん書を交付"
    assert loan.history[-1].state == "あっせん書交付"
    undone = [h for h in loan.history if h.undone]
    assert len(undone) == 1 and undone[0].amount == 5_000_000
    assert any(h.label.startswith("取消し") for h in loan.history)
    assert loan.history[-1].amount == 4_000_000
    assert (loan.referral_amount, loan.requested_amount) == (4_000_000, 5_000_000)
    assert loan.bank == "みずほ銀行 神田支店"
    assert loan.initiative == "1-2-1"


def test_dispatch_visits_come_in_order_with_their_fees(
    db: Database, karte: Karte, admin: Principal
) -> None:
    dispatch = _report(db, admin, karte.business_id).dispatches[0]

    assert [v.number for v in dispatch.visits] == [1, 2]
    assert dispatch.fees == 23_100
    assert dispatch.visits[0].expert == "山田 太郎"
    assert dispatch.status == "派遣中"


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.MANAGER, Role.AUDITOR])
def test_personal_data_is_masked_as_the_business_service_masks_it(
    db: Database, karte: Karte, role: Role
) -> None:
    profile = _report(db, _as(role), karte.business_id).profile

    assert (profile.representative_address, profile.representative_phone) == (MASK, MASK)
    assert profile.representative_name == "青果 一郎"  # the name is not withheld


@pytest.mark.parametrize("role", [Role.LOAN_OFFICER, Role.ADMIN])
def test_roles_that_need_personal_data_see_it(db: Database, karte: Karte, role: Role) -> None:
    report = _report(db, _as(role), karte.business_id)

    assert report.personal_data_visible
    assert (report.profile.representative_address, report.profile.representative_phone) == (
        HOME,
        MOBILE,
    )


def test_a_consultant_sees_no_loan_amounts_or_sales_but_does_see_subsidies(
    db: Database, karte: Karte
) -> None:
    report = _report(db, _as(Role.CONSULTANT), karte.business_id)

    assert not report.amounts_visible
    loan = report.loans[0]
    assert (loan.requested_amount, loan.referral_amount, loan.executed_amount) == (None,) * 3
    assert all(h.amount is None for h in loan.history)
    assert [e.amount for e in report.entries if e.kind == "loan"] == [None]
    cert = report.safety_net[0]
    assert (cert.sales_current, cert.sales_previous) == (None, None)
    assert cert.decision == "認定" and cert.decline_rate == 30  # shown to every reader
    assert report.subsidies[0].granted_amount == 100_000
    assert report.dispatches[0].fees == 23_100
    data = business_json(report)
    assert data["loans"][0]["referral_amount"] is None
    assert "4000000" not in json.dumps(data)


def test_a_consultant_with_the_grant_sees_loan_amounts(db: Database, karte: Karte) -> None:
    report = _report(db, _as(Role.CONSULTANT, grant=True), karte.business_id)

    assert report.loans[0].referral_amount == 4_000_000
    assert report.safety_net[0].sales_current == 700_000


def test_a_business_without_records_has_an_empty_karte(
    db: Database, karte: Karte, admin: Principal
) -> None:
    with db.write() as session:
        bare = Business(
            kind="prospective", name="創業 予定", sort_key="そうぎょう", sme_status="判定不可"
        )
        session.add(bare)
        session.flush()
        bare_id = bare.id

    report = _report(db, admin, bare_id)

    assert report.entries == () and report.loans == () and report.street == ()
    assert report.profile.kind == "創業予定者" and report.profile.corporate_number == ""


def test_each_kind_keeps_its_newest_records_and_counts_the_rest(
    db: Database, karte: Karte, admin: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_business, "MAX_RECORDS", 1)

    report = _report(db, admin, karte.business_id)

    assert [c.id for c in report.consultations] == [karte.consultations[1]]  # the newer one
    # Only the consultations were more than one; the street's support and events count apart.
    assert report.omitted == (("経営相談", 1),)
    assert [e.record_id for e in report.entries if e.kind == "consultation"] == [
        karte.consultations[1]
    ]


def test_business_json_is_plain_json(db: Database, karte: Karte, admin: Principal) -> None:
    data = business_json(_report(db, admin, karte.business_id, include_notes=True))

    again = json.loads(json.dumps(data, ensure_ascii=False))
    assert again["report"] == "business"
    assert again["business"]["corporate_number"] == NUMBER
    assert again["business"]["founded_on"] is None
    assert again["consultations"][1]["on"] == "2026-09-01"
    assert again["safety_net"][0]["decline_rate"] == "30"
    assert again["entries"][0]["kind"] == "consultation"
    assert again["loans"][0]["history"][-1]["amount"] == 4_000_000
    assert again["omitted"] == {}


def test_the_service_reads_an_id_or_a_corporate_number(db: Database, karte: Karte) -> None:
    service = ReportingService(db, _as(Role.LOAN_OFFICER))

    by_number = service.business("1-1803-0101-8771")
    by_id = service.business(str(karte.business_id), include_notes=True)

    assert by_number.profile.id == by_id.profile.id == karte.business_id
    assert by_id.notes_included and not by_number.notes_included
    with pytest.raises(DomainError) as caught:
        service.business(OTHER_VALID_NUMBER)
    assert caught.value.code == "report.business_unknown_number"


def test_a_principal_without_report_rights_is_refused(db: Database, karte: Karte) -> None:
    nobody = Principal(1, "x", "x", frozenset())

    with pytest.raises(PermissionDenied):
        ReportingService(db, nobody).business(str(karte.business_id))
