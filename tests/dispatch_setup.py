"""Programs with 年度 terms, experts and businesses: what every expert-dispatch test needs.

``make_dispatch_world`` writes the records directly (like ``loan_setup``); ``open_dispatch``
and ``decide`` drive the service, so a test (or a GUI test) can start from a decided dispatch
in two lines.
"""

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import (
    Business,
    Consultation,
    ConsultationChannel,
    DispatchProgram,
    DispatchProgramTerms,
    Expert,
    ExpertQualification,
    Staff,
    StaffRole,
)
from consult_desk.domain.dispatch import DispatchInput, StepInput, StepName, VisitInput
from consult_desk.services.dispatch import DispatchService

FEE_2026 = 11_550  # the program's fee per visit in 年度 2026 (Taito's figure, DOMAIN.md §2)
EXPERT_FEE = 20_000  # the tax accountant's own rate
APPLIED = date(2026, 4, 10)
DECIDED = date(2026, 4, 20)


@dataclass(frozen=True)
class DispatchWorld:
    program_id: int  # 経営改善: terms for 年度 2026 (cap 8, fee 11,550); other years default
    other_program_id: int  # IT・DX: no terms at all
    terms_id: int
    business_id: int
    other_business_id: int
    consultation_id: int  # a consultation of business_id
    other_consultation_id: int  # … of other_business_id
    expert_id: int  # 山田 太郎, 中小企業診断士, registered from 2020 without end
    expiring_expert_id: int  # 鈴木 花子, 税理士, registered until 2026-09-30, own fee 20,000
    staff_id: int


def _expert(
    name: str, kana: str, key: str, qualifications: tuple[str, ...], **kw: object
) -> Expert:
    expert = Expert(name=name, name_kana=kana, sort_key=key, **kw)
    expert.qualifications = [ExpertQualification(name=q) for q in qualifications]
    return expert


def make_dispatch_world(db: Database) -> DispatchWorld:
    with db.write() as session:
        staff = Staff(login="haken", name="派遣 担当", name_kana="ハケン タントウ")
        staff.roles.append(StaffRole(role="consultant"))
        program = DispatchProgram(name="専門家派遣（経営改善）")
        other_program = DispatchProgram(name="専門家派遣（IT・DX）")
        business = Business(
            kind="corporation",
            name="神田青果株式会社",
            sort_key="カンダセイカ",
            sme_status="小規模企業者",
        )
        other = Business(
            kind="corporation",
            name="神保町書店",
            sort_key="ジンボウチョウショテン",
            sme_status="小規模企業者",
        )
        yamada = _expert(
            "山田 太郎",
            "ヤマダ タロウ",
            "ヤマダタロウ",
            ("中小企業診断士",),
            fields="事業計画、資金繰り",
            registered_from=date(2020, 4, 1),
        )
        suzuki = _expert(
            "鈴木 花子",
            "スズキ ハナコ",
            "スズキハナコ",
            ("税理士", "中小企業診断士"),
            fields="税務、事業承継",
            registered_from=date(2020, 4, 1),
            registered_to=date(2026, 9, 30),
            fee_per_visit=EXPERT_FEE,
        )
        session.add_all([staff, program, other_program, business, other, yamada, suzuki])
        session.flush()
        terms = DispatchProgramTerms(
            program_id=program.id,
            fiscal_year=2026,
            max_visits_per_business=8,
            fee_per_visit=FEE_2026,
        )
        channel = session.scalars(select(ConsultationChannel.id).limit(1)).one()
        consultations = [
            Consultation(
                consulted_on=date(2026, 4, 3),
                channel_id=channel,
                staff_id=staff.id,
                business_id=b.id,
                summary="販路拡大と資金繰りの相談",
            )
            for b in (business, other)
        ]
        session.add_all([terms, *consultations])
        session.flush()
        return DispatchWorld(
            program_id=program.id,
            other_program_id=other_program.id,
            terms_id=terms.id,
            business_id=business.id,
            other_business_id=other.id,
            consultation_id=consultations[0].id,
            other_consultation_id=consultations[1].id,
            expert_id=yamada.id,
            expiring_expert_id=suzuki.id,
            staff_id=staff.id,
        )


def open_dispatch(
    service: DispatchService,
    world: DispatchWorld,
    *,
    business_id: int | None = None,
    program_id: int | None = None,
    theme: str = "販路拡大の計画づくり",
    applied_on: date = APPLIED,
    today: date | None = None,
) -> int:
    return service.add(
        DispatchInput(
            business_id=business_id or world.business_id,
            program_id=program_id or world.program_id,
            theme=theme,
            applied_on=applied_on,
            expert_id=world.expert_id,
        ),
        today=today or applied_on,
    )


def step(
    service: DispatchService,
    dispatch_id: int,
    name: StepName,
    on: date,
    today: date | None = None,
    **values: object,
) -> int:
    """Take one step on the current version; returns the new version."""
    version = service.get(dispatch_id).version
    new_version, _ = service.advance(
        dispatch_id,
        version,
        StepInput(name, on, **values),  # type: ignore[arg-type]
        today=today or on,
    )
    return new_version


def decide(
    service: DispatchService,
    world: DispatchWorld,
    *,
    visits: int = 8,
    decided_on: date = DECIDED,
    today: date | None = None,
    **dispatch: object,
) -> int:
    """A new dispatch taken through review to 派遣決定 with ``visits`` approved."""
    dispatch_id = open_dispatch(service, world, today=today, **dispatch)  # type: ignore[arg-type]
    step(service, dispatch_id, StepName.START_REVIEW, decided_on, today)
    step(service, dispatch_id, StepName.APPROVE, decided_on, today, approved_visits=visits)
    return dispatch_id


def visit(on: date, **values: object) -> VisitInput:
    """A plausible visit on ``on`` (10:00–12:00 at the business); override any field."""
    fields: dict[str, object] = {
        "start_time": time(10, 0),
        "end_time": time(12, 0),
        "place": "事業所",
        "issues": "売上計画の見直し",
        "advice": "月次で粗利を確認する",
    }
    fields.update(values)
    return VisitInput(visited_on=on, **fields)  # type: ignore[arg-type]
