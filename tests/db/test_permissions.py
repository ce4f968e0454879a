"""The permission matrix, checked against every service method, and the audit trail's reach.

``CALLS`` names every public method of every service that reads or changes records, with the
permission it needs. Two generic tests keep it honest: every role is allowed exactly what the
matrix says, and every mutating call writes an audit entry. A third test fails when a service
gains a public method that is in neither ``CALLS`` nor ``EXEMPT``, so a new method cannot
forget its check.
"""

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog, Staff, StaffRole
from consult_desk.domain.businesses import BusinessInput, BusinessQuery
from consult_desk.domain.consultations import ConsultationInput, ConsultationQuery
from consult_desk.domain.dispatch import DispatchInput, DispatchQuery, ExpertInput, ExpertQuery
from consult_desk.domain.dispatch import ProgramInput as DispatchProgramInput
from consult_desk.domain.dispatch import StepInput as DispatchStepInput
from consult_desk.domain.dispatch import StepName as DispatchStepName
from consult_desk.domain.dispatch import TermsInput as DispatchTermsInput
from consult_desk.domain.errors import SchemaError
from consult_desk.domain.loan_programs import BankInput, BranchInput, ProgramInput, TermsInput
from consult_desk.domain.loans import (
    LoanCaseInput,
    LoanQuery,
    StepInput,
    StepName,
    SubsidyStopReason,
)
from consult_desk.domain.permissions import (
    MASK,
    Action,
    Kind,
    PermissionDenied,
    Principal,
    Role,
    allowed,
)
from consult_desk.domain.safety_net import SafetyNetInput, SafetyNetKind, SafetyNetQuery
from consult_desk.domain.streets import (
    AssociationInput,
    AssociationQuery,
    EventInput,
    MembershipInput,
    SupportInput,
    SupportKindInput,
    SupportQuery,
)
from consult_desk.domain.subsidies import ApplicationInput as SubsidyInput
from consult_desk.domain.subsidies import ApplicationQuery, SubsidyTarget
from consult_desk.domain.subsidies import ProgramInput as SubsidyProgramInput
from consult_desk.domain.subsidies import StepInput as SubsidyStep
from consult_desk.domain.subsidies import StepName as SubsidyStepName
from consult_desk.services import (
    audit_log,
    backups,
    businesses,
    consultations,
    demo,
    exports,
    history,
    loan_master,
    loans,
    safety_net,
    settings,
    staff,
    streets,
    subsidies,
    timeline,
)
from consult_desk.services.audit_log import AuditLogService, AuditQuery
from consult_desk.services.backups import BackupService
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.demo import DemoService
from consult_desk.services.dispatch import DispatchService
from consult_desk.services.experts import ExpertService
from consult_desk.services.exports import ExportFormat, ExportService
from consult_desk.services.history import HistoryService
from consult_desk.services.imports import ImportService
from consult_desk.services.loan_master import LoanMasterService
from consult_desk.services.loans import LoanService
from consult_desk.services.reference import ReferenceService
from consult_desk.services.report_files import ReportFileService, ReportFormat
from consult_desk.services.reporting import ReportingService
from consult_desk.services.safety_net import SafetyNetService
from consult_desk.services.settings import SettingsService
from consult_desk.services.staff import NewStaff, StaffService
from consult_desk.services.streets import StreetService
from consult_desk.services.subsidies import SubsidyService
from consult_desk.services.timeline import TimelineService
from tests.dispatch_setup import DispatchWorld, make_dispatch_world
from tests.dispatch_setup import decide as decide_dispatch
from tests.dispatch_setup import visit as dispatch_visit
from tests.engines import TestDatabases
from tests.loan_setup import LoanWorld, make_loan_world
from tests.street_setup import StreetWorld, make_street_world
from tests.subsidy_setup import SubsidyWorld, make_subsidy_world

TODAY = date(2026, 11, 28)


@dataclass
class World:
    """Records every call can act on, created by an administrator."""

    db: Database
    admin: Principal
    hasher: PasswordHasher
    tmp: Path
    business_id: int
    consultation_id: int
    channel_id: int
    staff_id: int
    audit_entry: int
    backup: Path
    trashed_id: int  # a consultation in the trash
    other_staff_id: int  # a consultant the administrator can manage
    loan_world: LoanWorld | None = None
    loan_cases: dict[str, int] = field(default_factory=dict)  # opened / received / executed
    dispatch_world: DispatchWorld | None = None
    dispatches: dict[str, int] = field(default_factory=dict)  # applied / decided / visited
    certification_id: int = 0  # a セーフティネット application awaiting its decision
    streets: StreetWorld | None = None
    subsidy_world: SubsidyWorld | None = None
    application_id: int = 0  # a street-event subsidy application at 申請
    import_batch_id: int = 0  # one business imported from a CSV

    def business_version(self) -> int:
        return BusinessService(self.db, self.admin).get(self.business_id).version

    def consultation_version(self) -> int:
        return ConsultationService(self.db, self.admin).get(self.consultation_id).version

    def consultation(self) -> ConsultationInput:
        return ConsultationInput(
            consulted_on=TODAY,
            channel_id=self.channel_id,
            staff_id=self.staff_id,
            business_id=self.business_id,
            summary="資金繰りの相談",
        )


@pytest.fixture(scope="module")
def world_template(
    tmp_path_factory: pytest.TempPathFactory,
    databases: TestDatabases,
    fast_hasher: PasswordHasher,
) -> Iterator[World]:
    """Every record the calls act on, built once; each test gets its own copy of it."""
    folder = tmp_path_factory.mktemp("world")
    db = Database(databases.fresh(folder))
    with db.write() as session:
        staff = Staff(login="admin", name="管理 太郎", name_kana="カンリ タロウ")
        staff.roles.append(StaffRole(role="admin"))
        session.add(staff)
        session.flush()
        admin = Principal(staff.id, staff.login, staff.name, frozenset({Role.ADMIN}))
    built = _build_world(db, admin, fast_hasher, folder)
    databases.checkpoint(db)  # closed (on SQLite the WAL folded into the file): copyable
    yield built


@pytest.fixture
def world(world_template: World, tmp_path: Path, databases: TestDatabases) -> Iterator[World]:
    url = databases.copy(world_template.db.url, tmp_path)
    db = Database(url)
    yield replace(world_template, db=db, tmp=tmp_path)
    db.dispose()
    databases.release(url)


def _build_world(
    db: Database, admin: Principal, fast_hasher: PasswordHasher, tmp_path: Path
) -> World:
    business_id = BusinessService(db, admin).add(
        BusinessInput(
            name="神田青果",
            representative_address="千代田区神田1-1",
            representative_phone="090-1111-2222",
        )
    )
    channel_id = int(ReferenceService(db).channels()[0].id)
    consultation_id = ConsultationService(db, admin).add(
        ConsultationInput(
            consulted_on=TODAY,
            channel_id=channel_id,
            staff_id=admin.staff_id or 0,
            business_id=business_id,
        ),
        today=TODAY,
    )
    with db.read() as session:
        entry = session.execute(
            select(func.max(AuditLog.id)).where(AuditLog.record_kind == "business")
        ).scalar_one()
    trashed = ConsultationService(db, admin)
    trashed_id = trashed.add(
        ConsultationInput(
            consulted_on=TODAY,
            channel_id=channel_id,
            staff_id=admin.staff_id or 0,
            prospect_name="削除済み",
        ),
        today=TODAY,
    )
    trashed.delete(trashed_id, 1)
    other = StaffService(db, fast_hasher).add(
        admin, NewStaff("other", "他の職員", (Role.CONSULTANT,), "sakura-password-1")
    )
    # Backups are copies of an SQLite file; on PostgreSQL they are the server's (pg_dump).
    sqlite = db.dialect == "sqlite"
    backup = BackupService(db, admin).make("manual") if sqlite else tmp_path / "none.sqlite"
    built = World(
        db,
        admin,
        fast_hasher,
        tmp_path,
        business_id,
        consultation_id,
        channel_id,
        admin.staff_id or 0,
        entry,
        backup,
        trashed_id,
        other,
    )
    built.loan_world = make_loan_world(db)
    for stage in ("opened", "received", "executed"):
        built.loan_cases[stage] = _new_loan(built, stage)
    built.streets = make_street_world(db, admin)
    built.subsidy_world = make_subsidy_world(db)
    built.application_id, _ = SubsidyService(db, admin).add(
        SubsidyInput(
            program_id=built.subsidy_world.street_events_id,
            applied_on=TODAY,
            association_id=built.subsidy_world.association_id,
            event_id=built.subsidy_world.event_ids[0],
            eligible_cost=900_000,
        ),
        today=TODAY,
    )
    built.certification_id = SafetyNetService(db, admin).add(
        SafetyNetInput(business_id, SafetyNetKind.NO4, TODAY, 700_000, 1_000_000), today=TODAY
    )
    built.dispatch_world = make_dispatch_world(db)
    built.dispatches = _new_dispatches(built)
    built.import_batch_id = (
        ImportService(db, admin).run("businesses", _import_file(built)).batch_id or 0
    )
    return built


Call = Callable[[World, Principal], Any]
B, C = BusinessService, ConsultationService

CALLS: dict[str, tuple[Kind, Action, Call]] = {
    "BusinessService.add": (
        Kind.BUSINESS,
        Action.CREATE,
        lambda w, p: B(w.db, p).add(BusinessInput(name="新規")),
    ),
    "BusinessService.update": (
        Kind.BUSINESS,
        Action.EDIT,
        lambda w, p: B(w.db, p).update(
            w.business_id, w.business_version(), BusinessInput(name="神田青果（改）")
        ),
    ),
    "BusinessService.archive": (
        Kind.BUSINESS,
        Action.EDIT,
        lambda w, p: B(w.db, p).archive(w.business_id, w.business_version()),
    ),
    "BusinessService.delete": (
        Kind.BUSINESS,
        Action.DELETE,
        lambda w, p: B(w.db, p).delete(w.business_id, w.business_version()),
    ),
    "BusinessService.get": (Kind.BUSINESS, Action.READ, lambda w, p: B(w.db, p).get(w.business_id)),
    "BusinessService.find_by_corporate_number": (
        Kind.BUSINESS,
        Action.READ,
        lambda w, p: B(w.db, p).find_by_corporate_number("1"),
    ),
    "BusinessService.page": (
        Kind.BUSINESS,
        Action.READ,
        lambda w, p: B(w.db, p).page(BusinessQuery()),
    ),
    "BusinessService.count": (
        Kind.BUSINESS,
        Action.READ,
        lambda w, p: B(w.db, p).count(BusinessQuery()),
    ),
    "ConsultationService.add": (
        Kind.CONSULTATION,
        Action.CREATE,
        lambda w, p: C(w.db, p).add(w.consultation(), today=TODAY),
    ),
    "ConsultationService.update": (
        Kind.CONSULTATION,
        Action.EDIT,
        lambda w, p: C(w.db, p).update(
            w.consultation_id, w.consultation_version(), w.consultation(), today=TODAY
        ),
    ),
    "ConsultationService.mark_done": (
        Kind.CONSULTATION,
        Action.EDIT,
        lambda w, p: C(w.db, p).mark_done(w.consultation_id, w.consultation_version()),
    ),
    "ConsultationService.archive": (
        Kind.CONSULTATION,
        Action.EDIT,
        lambda w, p: C(w.db, p).archive(w.consultation_id, w.consultation_version()),
    ),
    "ConsultationService.delete": (
        Kind.CONSULTATION,
        Action.DELETE,
        lambda w, p: C(w.db, p).delete(w.consultation_id, w.consultation_version()),
    ),
    "ConsultationService.get": (
        Kind.CONSULTATION,
        Action.READ,
        lambda w, p: C(w.db, p).get(w.consultation_id),
    ),
    "ConsultationService.page": (
        Kind.CONSULTATION,
        Action.READ,
        lambda w, p: C(w.db, p).page(ConsultationQuery()),
    ),
    "ConsultationService.count": (
        Kind.CONSULTATION,
        Action.READ,
        lambda w, p: C(w.db, p).count(ConsultationQuery()),
    ),
    "BusinessService.find_duplicates": (
        Kind.BUSINESS,
        Action.READ,
        lambda w, p: B(w.db, p).find_duplicates(BusinessInput(name="神田青果")),
    ),
    "BusinessService.update_summary": (
        Kind.BUSINESS,
        Action.EDIT,
        lambda w, p: B(w.db, p).update_summary(w.business_id, w.business_version(), "引継ぎ"),
    ),
    "ConsultationService.last_channel": (
        Kind.CONSULTATION,
        Action.READ,
        lambda w, p: C(w.db, p).last_channel(w.staff_id),
    ),
    "ConsultationService.link_business": (
        Kind.CONSULTATION,
        Action.EDIT,
        lambda w, p: C(w.db, p).link_business(
            w.consultation_id, w.consultation_version(), w.business_id
        ),
    ),
    "TimelineService.for_business": (
        Kind.BUSINESS,
        Action.READ,
        lambda w, p: TimelineService(w.db, p).for_business(w.business_id),
    ),
    "StaffService.add": (
        Kind.STAFF,
        Action.ADMINISTER,
        lambda w, p: StaffService(w.db, w.hasher).add(
            p, NewStaff("newbie", "新人", (Role.CONSULTANT,), "long-enough-1")
        ),
    ),
    "StaffService.list": (
        Kind.STAFF,
        Action.READ,
        lambda w, p: StaffService(w.db, w.hasher).list(p),
    ),
    "StaffService.set_roles": (
        Kind.STAFF,
        Action.ADMINISTER,
        lambda w, p: StaffService(w.db, w.hasher).set_roles(
            p, w.staff_id, (Role.ADMIN, Role.MANAGER)
        ),
    ),
    "StaffService.set_active": (
        Kind.STAFF,
        Action.ADMINISTER,
        lambda w, p: StaffService(w.db, w.hasher).set_active(p, w.other_staff_id, False),
    ),
    "StaffService.reset_password": (
        Kind.STAFF,
        Action.ADMINISTER,
        lambda w, p: StaffService(w.db, w.hasher).reset_password(p, w.staff_id, "another-long-1"),
    ),
    "HistoryService.history": (
        Kind.BUSINESS,
        Action.READ,
        lambda w, p: HistoryService(w.db, p).history("business", w.business_id),
    ),
    "HistoryService.state_after": (
        Kind.BUSINESS,
        Action.READ,
        lambda w, p: HistoryService(w.db, p).state_after("business", w.business_id, w.audit_entry),
    ),
    "HistoryService.restore_version": (
        Kind.BUSINESS,
        Action.EDIT,
        lambda w, p: HistoryService(w.db, p).restore_version(
            "business", w.business_id, w.audit_entry, w.business_version()
        ),
    ),
    "HistoryService.trash": (
        Kind.BUSINESS,
        Action.ADMINISTER,
        lambda w, p: HistoryService(w.db, p).trash(),
    ),
    "HistoryService.restore_deleted": (
        Kind.CONSULTATION,
        Action.ADMINISTER,
        lambda w, p: _restore_deleted(w, p),
    ),
    "AuditLogService.page": (
        Kind.AUDIT,
        Action.READ,
        lambda w, p: AuditLogService(w.db, p).page(AuditQuery()),
    ),
    "AuditLogService.count": (
        Kind.AUDIT,
        Action.READ,
        lambda w, p: AuditLogService(w.db, p).count(AuditQuery()),
    ),
    "AuditLogService.export_csv": (
        Kind.AUDIT,
        Action.EXPORT,
        lambda w, p: AuditLogService(w.db, p).export_csv(AuditQuery(), w.tmp / "audit.csv"),
    ),
    "SettingsService.set_idle_lock_minutes": (
        Kind.MASTER,
        Action.ADMINISTER,
        lambda w, p: SettingsService(w.db, p).set_idle_lock_minutes(20),
    ),
    "SettingsService.set_backup_folder": (
        Kind.MASTER,
        Action.ADMINISTER,
        lambda w, p: SettingsService(w.db, p).set_backup_folder(w.tmp / "elsewhere"),
    ),
    "DemoService.fill": (
        Kind.MASTER,
        Action.ADMINISTER,
        lambda w, p: DemoService(w.db, p, w.hasher).fill(
            businesses=1, consultations_per_business=1, anchor=TODAY
        ),
    ),
    "BackupService.make": (
        Kind.BACKUP,
        Action.ADMINISTER,
        lambda w, p: BackupService(w.db, p).make("manual"),
    ),
    "BackupService.copy_to": (
        Kind.BACKUP,
        Action.ADMINISTER,
        lambda w, p: BackupService(w.db, p).copy_to(w.tmp / "copy.sqlite"),
    ),
    "BackupService.list": (Kind.BACKUP, Action.READ, lambda w, p: BackupService(w.db, p).list()),
    "BackupService.restore": (
        Kind.BACKUP,
        Action.ADMINISTER,
        lambda w, p: BackupService(w.db, p).restore(w.backup),
    ),
    "LoanService.add": (
        Kind.LOAN,
        Action.CREATE,
        lambda w, p: L(w.db, p).add(_loan_input(w), today=TODAY),
    ),
    "LoanService.update": (
        Kind.LOAN,
        Action.EDIT,
        lambda w, p: L(w.db, p).update(*_loan(w, p), replace(_loan_input(w), purpose="設備")),
    ),
    "LoanService.get": (Kind.LOAN, Action.READ, lambda w, p: L(w.db, p).get(_loan(w, p)[0])),
    "LoanService.preview": (
        Kind.LOAN,
        Action.READ,
        lambda w, p: L(w.db, p).preview(_loan(w, p)[0], _receive(), today=TODAY),
    ),
    "LoanService.advance": (
        Kind.LOAN,
        Action.TRANSITION,
        lambda w, p: L(w.db, p).advance(*_loan(w, p), _receive(), today=TODAY),
    ),
    "LoanService.undo": (
        Kind.LOAN,
        Action.TRANSITION,
        lambda w, p: L(w.db, p).undo(*_loan(w, p, "received"), "入力誤り"),
    ),
    "LoanService.history": (
        Kind.LOAN,
        Action.READ,
        lambda w, p: L(w.db, p).history(_loan(w, p)[0]),
    ),
    "LoanService.log_interview": (
        Kind.LOAN,
        Action.EDIT,
        lambda w, p: L(w.db, p).log_interview(*_loan(w, p), TODAY, "山田", "計画書"),
    ),
    "LoanService.record_prepayment": (
        Kind.LOAN,
        Action.EDIT,
        lambda w, p: L(w.db, p).record_prepayment(*_loan(w, p, "executed"), TODAY, 1_000),
    ),
    "LoanService.stop_subsidy": (
        Kind.LOAN,
        Action.TRANSITION,
        lambda w, p: L(w.db, p).stop_subsidy(
            *_loan(w, p, "executed"), TODAY, SubsidyStopReason.CLOSED, "廃業"
        ),
    ),
    "LoanService.page": (Kind.LOAN, Action.READ, lambda w, p: L(w.db, p).page(LoanQuery())),
    "LoanService.count": (Kind.LOAN, Action.READ, lambda w, p: L(w.db, p).count(LoanQuery())),
    "LoanService.counts_by_state": (
        Kind.LOAN,
        Action.READ,
        lambda w, p: L(w.db, p).counts_by_state(LoanQuery()),
    ),
    "LoanService.lead_times": (Kind.LOAN, Action.READ, lambda w, p: L(w.db, p).lead_times()),
    "LoanService.schedule": (
        Kind.LOAN,
        Action.READ,
        lambda w, p: L(w.db, p).schedule(_loan(w, p, "executed")[0]),
    ),
    "LoanService.for_consultation": (
        Kind.LOAN,
        Action.READ,
        lambda w, p: L(w.db, p).for_consultation(w.consultation_id),
    ),
    "LoanService.forecast": (Kind.LOAN, Action.READ, lambda w, p: L(w.db, p).forecast(2026)),
    "SafetyNetService.add": (
        Kind.LOAN,
        Action.CREATE,
        lambda w, p: SafetyNetService(w.db, p).add(
            SafetyNetInput(w.business_id, SafetyNetKind.NO5, TODAY, 900_000, 1_000_000),
            today=TODAY,
        ),
    ),
    "SafetyNetService.decide": (
        Kind.LOAN,
        Action.TRANSITION,
        lambda w, p: SafetyNetService(w.db, p).decide(
            w.certification_id, 1, True, TODAY, "SN-1", today=TODAY
        ),
    ),
    "SafetyNetService.get": (
        Kind.LOAN,
        Action.READ,
        lambda w, p: SafetyNetService(w.db, p).get(w.certification_id),
    ),
    "SafetyNetService.page": (
        Kind.LOAN,
        Action.READ,
        lambda w, p: SafetyNetService(w.db, p).page(SafetyNetQuery()),
    ),
    "SafetyNetService.count": (
        Kind.LOAN,
        Action.READ,
        lambda w, p: SafetyNetService(w.db, p).count(SafetyNetQuery()),
    ),
    "ExportService.export": (
        Kind.LOAN,
        Action.EXPORT,
        lambda w, p: ExportService(w.db, p).export(
            "loans", w.tmp / "loans.csv", ExportFormat.CSV, overwrite=True
        ),
    ),
    "ReportingService.monthly": (
        Kind.REPORT,
        Action.READ,
        lambda w, p: ReportingService(w.db, p).monthly(2026, 11),
    ),
    "ReportingService.fiscal_year": (
        Kind.REPORT,
        Action.READ,
        lambda w, p: ReportingService(w.db, p).fiscal_year(2026),
    ),
    "ReportingService.business": (
        Kind.REPORT,
        Action.READ,
        lambda w, p: ReportingService(w.db, p).business(str(w.business_id), include_notes=True),
    ),
    "ReportingService.initiative": (
        Kind.REPORT,
        Action.READ,
        lambda w, p: ReportingService(w.db, p).initiative(
            "1-2-2", date(2026, 4, 1), date(2027, 3, 31)
        ),
    ),
    "ReportingService.initiative_overview": (
        Kind.REPORT,
        Action.READ,
        lambda w, p: ReportingService(w.db, p).initiative_overview(
            date(2026, 4, 1), date(2027, 3, 31)
        ),
    ),
    "ReportFileService.render": (
        Kind.REPORT,
        Action.READ,
        lambda w, p: ReportFileService(w.db, p).render(
            ReportingService(w.db, w.admin).monthly(2026, 11), ReportFormat.PDF
        ),
    ),
    "ReportFileService.options": (
        Kind.REPORT,
        Action.READ,
        lambda w, p: ReportFileService(w.db, p).options(),
    ),
    "ReportFileService.record_print": (
        Kind.REPORT,
        Action.PRINT,
        lambda w, p: ReportFileService(w.db, p).record_print(
            ReportingService(w.db, w.admin).monthly(2026, 11), 3
        ),
    ),
    "ReportFileService.write": (
        Kind.REPORT,
        Action.PRINT,
        lambda w, p: ReportFileService(w.db, p).write(
            ReportingService(w.db, w.admin).monthly(2026, 11),
            w.tmp / "m.pdf",
            ReportFormat.PDF,
            overwrite=True,
        ),
    ),
    "StreetService.add": (
        Kind.STREET,
        Action.CREATE,
        lambda w, p: St(w.db, p).add(AssociationInput("番町商店会", "任意商店会"), today=TODAY),
    ),
    "StreetService.update": (
        Kind.STREET,
        Action.EDIT,
        lambda w, p: St(w.db, p).update(
            _sw(w).voluntary_id, _assoc(w).version, replace(_assoc(w).input, notes="更新")
        ),
    ),
    "StreetService.set_towns": (
        Kind.STREET,
        Action.EDIT,
        lambda w, p: St(w.db, p).set_towns(
            _sw(w).voluntary_id, _assoc(w).version, (_sw(w).town_ids["麹町"],)
        ),
    ),
    "StreetService.archive": (
        Kind.STREET,
        Action.EDIT,
        lambda w, p: St(w.db, p).archive(_sw(w).voluntary_id, _assoc(w).version),
    ),
    "StreetService.get": (
        Kind.STREET,
        Action.READ,
        lambda w, p: St(w.db, p).get(_sw(w).association_id),
    ),
    "StreetService.page": (
        Kind.STREET,
        Action.READ,
        lambda w, p: St(w.db, p).page(AssociationQuery()),
    ),
    "StreetService.count": (
        Kind.STREET,
        Action.READ,
        lambda w, p: St(w.db, p).count(AssociationQuery()),
    ),
    "StreetService.memberships": (
        Kind.STREET,
        Action.READ,
        lambda w, p: St(w.db, p).memberships(_sw(w).association_id),
    ),
    "StreetService.set_membership": (
        Kind.STREET,
        Action.EDIT,
        lambda w, p: St(w.db, p).set_membership(
            _sw(w).association_id, MembershipInput(2024, 10, 2), today=TODAY
        ),
    ),
    "StreetService.add_support": (
        Kind.STREET,
        Action.CREATE,
        lambda w, p: St(w.db, p).add_support(
            _sw(w).association_id,
            SupportInput(_sw(w).kind_ids["organisation"], TODAY, "法人化の相談"),
            today=TODAY,
        ),
    ),
    "StreetService.update_support": (
        Kind.STREET,
        Action.EDIT,
        lambda w, p: St(w.db, p).update_support(
            _sw(w).support_id, _support(w).version, replace(_support(w).input, notes="追記")
        ),
    ),
    "StreetService.get_support": (
        Kind.STREET,
        Action.READ,
        lambda w, p: St(w.db, p).get_support(_sw(w).support_id),
    ),
    "StreetService.supports": (
        Kind.STREET,
        Action.READ,
        lambda w, p: St(w.db, p).supports(_sw(w).association_id),
    ),
    "StreetService.page_supports": (
        Kind.STREET,
        Action.READ,
        lambda w, p: St(w.db, p).page_supports(SupportQuery()),
    ),
    "StreetService.count_supports": (
        Kind.STREET,
        Action.READ,
        lambda w, p: St(w.db, p).count_supports(SupportQuery()),
    ),
    "StreetService.add_event": (
        Kind.STREET,
        Action.CREATE,
        lambda w, p: St(w.db, p).add_event(
            _sw(w).association_id, EventInput("歳末大売出し", TODAY, TODAY)
        ),
    ),
    "StreetService.update_event": (
        Kind.STREET,
        Action.EDIT,
        lambda w, p: St(w.db, p).update_event(
            _sw(w).event_id, _event(w).version, replace(_event(w).input, visitors=1200)
        ),
    ),
    "StreetService.get_event": (
        Kind.STREET,
        Action.READ,
        lambda w, p: St(w.db, p).get_event(_sw(w).event_id),
    ),
    "StreetService.events": (
        Kind.STREET,
        Action.READ,
        lambda w, p: St(w.db, p).events(_sw(w).association_id),
    ),
    "StreetService.timeline": (
        Kind.STREET,
        Action.READ,
        lambda w, p: St(w.db, p).timeline(_sw(w).association_id),
    ),
    "StreetService.support_kinds": (
        Kind.MASTER,
        Action.READ,
        lambda w, p: St(w.db, p).support_kinds(),
    ),
    "StreetService.add_support_kind": (
        Kind.MASTER,
        Action.CREATE,
        lambda w, p: St(w.db, p).add_support_kind(SupportKindInput("空き店舗対策", _initiative(w))),
    ),
    "StreetService.update_support_kind": (
        Kind.MASTER,
        Action.EDIT,
        lambda w, p: St(w.db, p).update_support_kind(
            _sw(w).kind_ids["other"], 1, SupportKindInput("その他の支援", _initiative(w))
        ),
    ),
    "SubsidyService.programs": (Kind.MASTER, Action.READ, lambda w, p: Su(w.db, p).programs()),
    "SubsidyService.terms": (
        Kind.MASTER,
        Action.READ,
        lambda w, p: Su(w.db, p).terms(_suw(w).trade_show_id),
    ),
    "SubsidyService.terms_in_force": (
        Kind.MASTER,
        Action.READ,
        lambda w, p: Su(w.db, p).terms_in_force(_suw(w).trade_show_id, TODAY),
    ),
    "SubsidyService.add_program": (
        Kind.MASTER,
        Action.CREATE,
        lambda w, p: Su(w.db, p).add_program(
            SubsidyProgramInput("DX推進支援補助", SubsidyTarget.BUSINESS)
        ),
    ),
    "SubsidyService.add_terms": (
        Kind.MASTER,
        Action.CREATE,
        lambda w, p: Su(w.db, p).add_terms(
            _suw(w).trade_show_id,
            replace(_subsidy_terms(w), valid_from=date(2030, 4, 1), valid_to=None),
            close_open_period=True,
        ),
    ),
    "SubsidyService.update_program": (
        Kind.MASTER,
        Action.EDIT,
        lambda w, p: Su(w.db, p).update_program(
            _suw(w).trade_show_id, 1, replace(_subsidy_program(w), notes="更新")
        ),
    ),
    "SubsidyService.update_terms": (
        Kind.MASTER,
        Action.EDIT,
        lambda w, p: Su(w.db, p).update_terms(
            _subsidy_terms_id(w), 1, replace(_subsidy_terms(w), cap_amount=120_000)
        ),
    ),
    "SubsidyService.add": (
        Kind.SUBSIDY,
        Action.CREATE,
        lambda w, p: Su(w.db, p).add(
            SubsidyInput(
                program_id=_suw(w).trade_show_id,
                applied_on=TODAY,
                business_id=_suw(w).business_id,
                eligible_cost=150_000,
            ),
            today=TODAY,
        ),
    ),
    "SubsidyService.update": (
        Kind.SUBSIDY,
        Action.EDIT,
        lambda w, p: Su(w.db, p).update(
            w.application_id,
            _application(w).version,
            replace(_application(w).as_input(), title="すずらんまつり"),
            today=TODAY,
        ),
    ),
    "SubsidyService.advance": (
        Kind.SUBSIDY,
        Action.TRANSITION,
        lambda w, p: Su(w.db, p).advance(
            w.application_id,
            _application(w).version,
            SubsidyStep(SubsidyStepName.RETURN, TODAY, reason="見積書の不足"),
            today=TODAY,
        ),
    ),
    "SubsidyService.get": (
        Kind.SUBSIDY,
        Action.READ,
        lambda w, p: Su(w.db, p).get(w.application_id),
    ),
    "SubsidyService.preview": (
        Kind.SUBSIDY,
        Action.READ,
        lambda w, p: Su(w.db, p).preview(_application(w).as_input(), today=TODAY),
    ),
    "SubsidyService.preview_step": (
        Kind.SUBSIDY,
        Action.READ,
        lambda w, p: Su(w.db, p).preview_step(
            w.application_id, SubsidyStep(SubsidyStepName.RETURN, TODAY, reason="x"), today=TODAY
        ),
    ),
    "SubsidyService.history": (
        Kind.SUBSIDY,
        Action.READ,
        lambda w, p: Su(w.db, p).history(w.application_id),
    ),
    "SubsidyService.page": (
        Kind.SUBSIDY,
        Action.READ,
        lambda w, p: Su(w.db, p).page(ApplicationQuery(), today=TODAY),
    ),
    "SubsidyService.count": (
        Kind.SUBSIDY,
        Action.READ,
        lambda w, p: Su(w.db, p).count(ApplicationQuery(), today=TODAY),
    ),
    "SubsidyService.granted_total": (
        Kind.SUBSIDY,
        Action.READ,
        lambda w, p: Su(w.db, p).granted_total(ApplicationQuery(), today=TODAY),
    ),
    "SubsidyService.for_business": (
        Kind.SUBSIDY,
        Action.READ,
        lambda w, p: Su(w.db, p).for_business(_suw(w).business_id),
    ),
    "SubsidyService.for_association": (
        Kind.SUBSIDY,
        Action.READ,
        lambda w, p: Su(w.db, p).for_association(_suw(w).association_id),
    ),
    "SubsidyService.reports_due": (
        Kind.SUBSIDY,
        Action.READ,
        lambda w, p: Su(w.db, p).reports_due(TODAY),
    ),
    "SubsidyService.spending_by_fiscal_year": (
        Kind.SUBSIDY,
        Action.READ,
        lambda w, p: Su(w.db, p).spending_by_fiscal_year(),
    ),
    "LoanMasterService.programs": (
        Kind.MASTER,
        Action.READ,
        lambda w, p: M(w.db, p).programs(),
    ),
    "LoanMasterService.add_program": (
        Kind.MASTER,
        Action.CREATE,
        lambda w, p: M(w.db, p).add_program(ProgramInput("設備資金", False, True, "", None)),
    ),
    "LoanMasterService.update_program": (
        Kind.MASTER,
        Action.EDIT,
        lambda w, p: M(w.db, p).update_program(
            _lw(w).program_id, 1, ProgramInput("営業資金", False, True, "備考", None)
        ),
    ),
    "LoanMasterService.terms": (
        Kind.MASTER,
        Action.READ,
        lambda w, p: M(w.db, p).terms(_lw(w).program_id),
    ),
    "LoanMasterService.terms_in_force": (
        Kind.MASTER,
        Action.READ,
        lambda w, p: M(w.db, p).terms_in_force(_lw(w).program_id, TODAY),
    ),
    "LoanMasterService.add_terms": (
        Kind.MASTER,
        Action.CREATE,
        lambda w, p: M(w.db, p).add_terms(_lw(w).program_id, _terms(date(2027, 4, 1))),
    ),
    "LoanMasterService.update_terms": (
        Kind.MASTER,
        Action.EDIT,
        lambda w, p: M(w.db, p).update_terms(_lw(w).terms_id, 1, _terms(date(2026, 4, 1))),
    ),
    "LoanMasterService.banks": (Kind.MASTER, Action.READ, lambda w, p: M(w.db, p).banks()),
    "LoanMasterService.add_bank": (
        Kind.MASTER,
        Action.CREATE,
        lambda w, p: M(w.db, p).add_bank(BankInput("りそな銀行", True)),
    ),
    "LoanMasterService.update_bank": (
        Kind.MASTER,
        Action.EDIT,
        lambda w, p: M(w.db, p).update_bank(_lw(w).bank_id, 1, BankInput("みずほ銀行", False)),
    ),
    "LoanMasterService.add_branch": (
        Kind.MASTER,
        Action.CREATE,
        lambda w, p: M(w.db, p).add_branch(_lw(w).bank_id, BranchInput("九段支店", True)),
    ),
    "LoanMasterService.update_branch": (
        Kind.MASTER,
        Action.EDIT,
        lambda w, p: M(w.db, p).update_branch(_lw(w).branch_id, 1, BranchInput("神田支店", False)),
    ),
    "SettingsService.loan_overdue_days": (
        Kind.MASTER,
        Action.READ,
        lambda w, p: SettingsService(w.db, p).loan_overdue_days(),
    ),
    "SettingsService.western_dates": (
        Kind.MASTER,
        Action.READ,
        lambda w, p: SettingsService(w.db, p).western_dates(),
    ),
    "SettingsService.set_western_dates": (
        Kind.MASTER,
        Action.ADMINISTER,
        lambda w, p: SettingsService(w.db, p).set_western_dates(True),
    ),
    "SettingsService.set_loan_overdue_days": (
        Kind.MASTER,
        Action.ADMINISTER,
        lambda w, p: SettingsService(w.db, p).set_loan_overdue_days({"BANK_REVIEW": 10}),
    ),
    # --- expert dispatch (issue 6) ---
    "DispatchService.programs": (Kind.MASTER, Action.READ, lambda w, p: D(w.db, p).programs()),
    "DispatchService.add_program": (
        Kind.MASTER,
        Action.CREATE,
        lambda w, p: D(w.db, p).add_program(DispatchProgramInput("専門家派遣（販路開拓）")),
    ),
    "DispatchService.update_program": (
        Kind.MASTER,
        Action.EDIT,
        lambda w, p: D(w.db, p).update_program(
            _dw(w).program_id, 1, DispatchProgramInput("専門家派遣（経営改善）")
        ),
    ),
    "DispatchService.terms": (
        Kind.MASTER,
        Action.READ,
        lambda w, p: D(w.db, p).terms(_dw(w).program_id),
    ),
    "DispatchService.terms_for": (
        Kind.MASTER,
        Action.READ,
        lambda w, p: D(w.db, p).terms_for(_dw(w).program_id, 2026),
    ),
    "DispatchService.add_terms": (
        Kind.MASTER,
        Action.CREATE,
        lambda w, p: D(w.db, p).add_terms(_dw(w).program_id, DispatchTermsInput(2027, 8)),
    ),
    "DispatchService.update_terms": (
        Kind.MASTER,
        Action.EDIT,
        lambda w, p: D(w.db, p).update_terms(_dw(w).terms_id, 1, DispatchTermsInput(2026, 9)),
    ),
    "DispatchService.report_due_days": (
        Kind.MASTER,
        Action.READ,
        lambda w, p: D(w.db, p).report_due_days(),
    ),
    "DispatchService.set_report_due_days": (
        Kind.MASTER,
        Action.EDIT,
        lambda w, p: D(w.db, p).set_report_due_days(14),
    ),
    "DispatchService.add": (
        Kind.DISPATCH,
        Action.CREATE,
        lambda w, p: D(w.db, p).add(_dispatch_input(w), today=TODAY),
    ),
    "DispatchService.update": (
        Kind.DISPATCH,
        Action.EDIT,
        lambda w, p: D(w.db, p).update(
            *_dispatch(w), replace(_dispatch_input(w), theme="資金繰り表の作成"), today=TODAY
        ),
    ),
    "DispatchService.get": (
        Kind.DISPATCH,
        Action.READ,
        lambda w, p: D(w.db, p).get(_dispatch(w)[0]),
    ),
    "DispatchService.preview": (
        Kind.DISPATCH,
        Action.READ,
        lambda w, p: D(w.db, p).preview(_dispatch(w)[0], _start_review(), today=TODAY),
    ),
    "DispatchService.advance": (
        Kind.DISPATCH,
        Action.TRANSITION,
        lambda w, p: D(w.db, p).advance(*_dispatch(w), _start_review(), today=TODAY),
    ),
    "DispatchService.history": (
        Kind.DISPATCH,
        Action.READ,
        lambda w, p: D(w.db, p).history(_dispatch(w)[0]),
    ),
    "DispatchService.visits": (
        Kind.DISPATCH,
        Action.READ,
        lambda w, p: D(w.db, p).visits(_dispatch(w, "visited")[0]),
    ),
    "DispatchService.preview_visit": (
        Kind.DISPATCH,
        Action.READ,
        lambda w, p: D(w.db, p).preview_visit(
            _dispatch(w, "decided")[0], dispatch_visit(date(2026, 5, 11)), today=TODAY
        ),
    ),
    "DispatchService.add_visit": (
        Kind.DISPATCH,
        Action.CREATE,
        lambda w, p: D(w.db, p).add_visit(
            _dispatch(w, "decided")[0], dispatch_visit(date(2026, 5, 11)), today=TODAY
        ),
    ),
    "DispatchService.update_visit": (
        Kind.DISPATCH,
        Action.EDIT,
        lambda w, p: D(w.db, p).update_visit(
            *_dispatch_visit(w), dispatch_visit(date(2026, 5, 12)), today=TODAY
        ),
    ),
    "DispatchService.delete_visit": (
        Kind.DISPATCH,
        Action.EDIT,  # removing a mistyped last visit corrects the dispatch; it is no trashing
        lambda w, p: D(w.db, p).delete_visit(*_dispatch_visit(w)),
    ),
    "DispatchService.year_usage": (
        Kind.DISPATCH,
        Action.READ,
        lambda w, p: D(w.db, p).year_usage(_dispatch(w, "visited")[0], TODAY),
    ),
    "DispatchService.page": (
        Kind.DISPATCH,
        Action.READ,
        lambda w, p: D(w.db, p).page(DispatchQuery(), today=TODAY),
    ),
    "DispatchService.count": (
        Kind.DISPATCH,
        Action.READ,
        lambda w, p: D(w.db, p).count(DispatchQuery(), today=TODAY),
    ),
    "DispatchService.count_visits": (
        Kind.DISPATCH,
        Action.READ,
        lambda w, p: D(w.db, p).count_visits(DispatchQuery(), today=TODAY),
    ),
    "DispatchService.for_business": (
        Kind.DISPATCH,
        Action.READ,
        lambda w, p: D(w.db, p).for_business(_dw(w).business_id),
    ),
    "DispatchService.for_consultation": (
        Kind.DISPATCH,
        Action.READ,
        lambda w, p: D(w.db, p).for_consultation(_dw(w).consultation_id),
    ),
    "DispatchService.fees_by_fiscal_year": (
        Kind.DISPATCH,
        Action.READ,
        lambda w, p: D(w.db, p).fees_by_fiscal_year(),
    ),
    "DispatchService.reports_due": (
        Kind.DISPATCH,
        Action.READ,
        lambda w, p: D(w.db, p).reports_due(TODAY),
    ),
    "ExpertService.add": (
        Kind.MASTER,
        Action.CREATE,
        lambda w, p: X(w.db, p).add(ExpertInput("新井 一", registered_from=date(2026, 4, 1))),
    ),
    "ExpertService.update": (
        Kind.MASTER,
        Action.EDIT,
        lambda w, p: X(w.db, p).update(
            _dw(w).expert_id, 1, ExpertInput("山田 太郎", registered_from=date(2020, 4, 1))
        ),
    ),
    "ExpertService.get": (
        Kind.MASTER,
        Action.READ,
        lambda w, p: X(w.db, p).get(_dw(w).expert_id),
    ),
    "ExpertService.page": (Kind.MASTER, Action.READ, lambda w, p: X(w.db, p).page(ExpertQuery())),
    "ExpertService.count": (
        Kind.MASTER,
        Action.READ,
        lambda w, p: X(w.db, p).count(ExpertQuery()),
    ),
    "ExpertService.assignable": (
        Kind.MASTER,
        Action.READ,
        lambda w, p: X(w.db, p).assignable(TODAY),
    ),
    "ExpertService.fees": (Kind.DISPATCH, Action.READ, lambda w, p: X(w.db, p).fees(2026)),
    "ImportService.preview": (
        Kind.BUSINESS,
        Action.CREATE,
        lambda w, p: ImportService(w.db, p).preview("businesses", _import_file(w)),
    ),
    "ImportService.run": (
        Kind.BUSINESS,
        Action.CREATE,
        lambda w, p: ImportService(w.db, p).run("businesses", _import_file(w)),
    ),
    "ImportService.undo": (
        Kind.BUSINESS,
        Action.DELETE,
        lambda w, p: ImportService(w.db, p).undo(w.import_batch_id),
    ),
    "ImportService.batches": (
        Kind.BUSINESS,
        Action.READ,
        lambda w, p: ImportService(w.db, p).batches("businesses"),
    ),
}


def _import_file(w: World) -> Path:
    """A CSV of one new business (a new name each time: imports add, they never match)."""
    path = w.tmp / f"import-{len(list(w.tmp.glob('import-*.csv')))}.csv"
    path.write_text(f"事業者名,事業者区分\n取込商店{path.stem},個人事業主\n", encoding="utf-8")
    return path


# Public methods that need no permission of the matrix, and why.
EXEMPT = {
    "StaffService.has_accounts": "asked before anyone can sign in",
    "StaffService.sign_in": "how a principal comes to exist",
    "StaffService.verify_password": "the idle lock's own check of the signed-in person",
    "StaffService.add_first_admin": "only while no account exists (tested in test_staff)",
    "StaffService.change_password": "anyone may change their own, knowing the current one",
    "SettingsService.idle_lock_minutes": "every session needs it to set its own lock",
    "SettingsService.backup_folder": "read by the daily backup at start-up",
    "BackupService.daily_if_due": "automatic at start-up for whoever signs in; only the dated "
    "daily copy",
    "ImportService.read": "reads the file the user chose; touches no record",
}
SERVICES = [
    businesses.BusinessService,
    consultations.ConsultationService,
    staff.StaffService,
    history.HistoryService,
    audit_log.AuditLogService,
    settings.SettingsService,
    demo.DemoService,
    backups.BackupService,
    timeline.TimelineService,
    loans.LoanService,
    loan_master.LoanMasterService,
    DispatchService,
    ExpertService,
    safety_net.SafetyNetService,
    exports.ExportService,
    ReportingService,
    ReportFileService,
    ImportService,
    streets.StreetService,
    subsidies.SubsidyService,
]
MUTATING = {
    Action.CREATE,
    Action.EDIT,
    Action.DELETE,
    Action.TRANSITION,
    Action.EXPORT,
    Action.ADMINISTER,
}


St, Su = StreetService, SubsidyService


def _sw(w: World) -> StreetWorld:
    assert w.streets is not None
    return w.streets


def _suw(w: World) -> SubsidyWorld:
    assert w.subsidy_world is not None
    return w.subsidy_world


def _assoc(w: World) -> Any:
    return St(w.db, w.admin).get(_sw(w).voluntary_id)


def _support(w: World) -> Any:
    return St(w.db, w.admin).get_support(_sw(w).support_id)


def _event(w: World) -> Any:
    return St(w.db, w.admin).get_event(_sw(w).event_id)


def _application(w: World) -> Any:
    return Su(w.db, w.admin).get(w.application_id)


def _initiative(w: World) -> int:
    return St(w.db, w.admin).get_support(_sw(w).support_id).input.initiative_id or 0


def _subsidy_program(w: World) -> SubsidyProgramInput:
    program = next(p for p in Su(w.db, w.admin).programs() if p.id == _suw(w).trade_show_id)
    return program.as_input()


def _subsidy_terms_id(w: World) -> int:
    return Su(w.db, w.admin).terms(_suw(w).trade_show_id)[0].id


def _subsidy_terms(w: World) -> Any:
    return Su(w.db, w.admin).terms(_suw(w).trade_show_id)[0].as_input()


L, M = LoanService, LoanMasterService


def _lw(w: World) -> LoanWorld:
    assert w.loan_world is not None
    return w.loan_world


def _terms(valid_from: date) -> TermsInput:
    return TermsInput(
        valid_from=valid_from,
        valid_to=None,
        limit_amount=10_000_000,
        max_term_months=84,
        max_grace_months=12,
        nominal_rate=Decimal("2.1"),
        subsidy_rate_resident=Decimal("1.6"),
        subsidy_rate_general=Decimal("0.6"),
        chokai_bonus_rate=None,
        guarantee_fee_subsidy_ratio=None,
        guarantee_fee_subsidy_cap=None,
        max_concurrent_loans=2,
    )


def _loan_input(w: World) -> LoanCaseInput:
    assert w.loan_world is not None
    return LoanCaseInput(
        business_id=w.business_id, program_id=w.loan_world.program_id, received_on=TODAY
    )


def _receive() -> StepInput:
    return StepInput(StepName.RECEIVE, TODAY, interviewer="山田")


def _loan(w: World, p: Principal, stage: str = "opened") -> tuple[int, int]:
    """(id, version) of a case the administrator opened and took to ``stage``."""
    case_id = w.loan_cases[stage]
    return case_id, L(w.db, w.admin).get(case_id).version


def _new_loan(w: World, stage: str) -> int:
    assert w.loan_world is not None
    service = L(w.db, w.admin)
    case_id = service.add(
        LoanCaseInput(
            business_id=w.business_id,
            program_id=w.loan_world.program_id,
            received_on=date(2026, 11, 2),
        ),
        today=TODAY,
    )
    steps = []
    if stage != "opened":
        steps.append(StepInput(StepName.RECEIVE, date(2026, 11, 2), interviewer="山田"))
    if stage == "executed":
        steps += [
            StepInput(StepName.START_REVIEW, date(2026, 11, 2), **_ELIGIBLE),
            StepInput(
                StepName.REFER,
                date(2026, 11, 9),
                referral_number="R1",
                referral_amount=1_000_000,
                bank_id=w.loan_world.bank_id,
            ),
            StepInput(StepName.BANK_RECEIVED, date(2026, 11, 10)),
            StepInput(
                StepName.EXECUTE,
                date(2026, 11, 20),
                executed_amount=1_000_000,
                term_months=60,
                grace_months=6,
                nominal_rate=Decimal("2.1"),
            ),
        ]
    for step in steps:
        service.advance(case_id, service.get(case_id).version, step, today=TODAY)
    return case_id


_ELIGIBLE = {
    name: True
    for name in (
        "eligible_in_ward_year",
        "eligible_head_office",
        "eligible_taxes_paid",
        "eligible_no_virtual_office",
        "eligible_industry_covered",
    )
}


def _restore_deleted(w: World, p: Principal) -> None:
    HistoryService(w.db, p).restore_deleted("consultation", w.trashed_id)


def _principal_with(db: Database, role: Role) -> Principal:
    with db.write() as session:
        member = Staff(login=f"{role.value}-user", name=role.label)
        member.roles.append(StaffRole(role=role.value))
        session.add(member)
        session.flush()
        return Principal(member.id, member.login, member.name, frozenset({role}))


def _last_entry(db: Database) -> str | None:
    with db.read() as session:
        return session.scalars(select(AuditLog.hash).order_by(AuditLog.id.desc())).first()


def _audit_count(db: Database) -> int:
    with db.read() as session:
        return session.execute(select(func.count()).select_from(AuditLog)).scalar_one()


def test_every_public_service_method_is_checked_or_exempt() -> None:
    public = {
        f"{cls.__name__}.{name}"
        for cls in SERVICES
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }

    assert public - CALLS.keys() - EXEMPT.keys() == set()
    assert CALLS.keys() - public == set()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", list(CALLS))
def test_each_role_is_allowed_exactly_what_the_matrix_says(
    world: World, role: Role, name: str
) -> None:
    kind, action, call = CALLS[name]
    principal = _principal_with(world.db, role)

    if allowed(frozenset({role}), kind, action):
        if name in SQLITE_FILE_CALLS and world.db.dialect != "sqlite":
            with pytest.raises(SchemaError, match=r"backup\.not_sqlite"):  # allowed, impossible
                call(world, principal)
            return
        call(world, principal)
    else:
        before = _audit_count(world.db)
        with pytest.raises(PermissionDenied):
            call(world, principal)
        assert _audit_count(world.db) == before  # a refusal changes nothing


# Calls on the SQLite file itself: on PostgreSQL they are refused with backup.not_sqlite.
SQLITE_FILE_CALLS = {"BackupService.make", "BackupService.copy_to", "BackupService.restore"}

# Calls that only read although their permission is a writing one (the administrator's trash;
# an import's preview, which needs the right to import).
READS = {"HistoryService.trash", "ImportService.preview"}


@pytest.mark.parametrize(
    "name", [n for n, (_, action, _) in CALLS.items() if action in MUTATING and n not in READS]
)
def test_every_mutating_call_writes_an_audit_entry(world: World, name: str) -> None:
    if name in SQLITE_FILE_CALLS and world.db.dialect != "sqlite":
        pytest.skip("backups of the SQLite file (PostgreSQL's are the server's)")
    _, _, call = CALLS[name]
    before = _last_entry(world.db)

    call(world, world.admin)

    # A new last entry (a restore replaces the whole file, so counting would not do).
    assert _last_entry(world.db) != before


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.MANAGER, Role.AUDITOR])
def test_representatives_personal_data_is_masked_for_roles_without_need(
    world: World, role: Role
) -> None:
    principal = _principal_with(world.db, role)

    seen = BusinessService(world.db, principal).get(world.business_id).input

    assert (seen.representative_address, seen.representative_phone) == (MASK, MASK)


def test_a_masked_form_saved_back_keeps_the_stored_personal_data(world: World) -> None:
    consultant = _principal_with(world.db, Role.CONSULTANT)
    service = BusinessService(world.db, consultant)
    shown = service.get(world.business_id)

    service.update(world.business_id, shown.version, shown.input)

    stored = BusinessService(world.db, world.admin).get(world.business_id).input
    assert stored.representative_address == "千代田区神田1-1"
    assert stored.representative_phone == "090-1111-2222"


def test_loan_officers_see_personal_data() -> None:
    principal = Principal(1, "loan", "融資", frozenset({Role.LOAN_OFFICER}))
    assert principal.sees_personal_data and principal.sees_loan_amounts
    consultant = Principal(2, "c", "相談", frozenset({Role.CONSULTANT}))
    assert not consultant.sees_loan_amounts
    granted = Principal(3, "g", "相談", frozenset({Role.CONSULTANT}), loan_amount_grant=True)
    assert granted.sees_loan_amounts


# --- expert dispatch helpers ---
D, X = DispatchService, ExpertService


def _dw(w: World) -> DispatchWorld:
    assert w.dispatch_world is not None
    return w.dispatch_world


def _dispatch_input(w: World) -> DispatchInput:
    return DispatchInput(
        business_id=_dw(w).business_id,
        program_id=_dw(w).program_id,
        theme="販路拡大の計画づくり",
        applied_on=date(2026, 11, 2),
    )


def _start_review() -> DispatchStepInput:
    return DispatchStepInput(DispatchStepName.START_REVIEW, TODAY)


def _dispatch(w: World, stage: str = "applied") -> tuple[int, int]:
    """(id, version) of a dispatch the administrator opened and took to ``stage``."""
    dispatch_id = w.dispatches[stage]
    return dispatch_id, D(w.db, w.admin).get(dispatch_id).version


def _dispatch_visit(w: World) -> tuple[int, int]:
    (row,) = D(w.db, w.admin).visits(w.dispatches["visited"])
    return row.id, row.version


def _new_dispatches(w: World) -> dict[str, int]:
    service = D(w.db, w.admin)
    applied = service.add(_dispatch_input(w), today=TODAY)
    decided = decide_dispatch(service, _dw(w), visits=4)
    visited = decide_dispatch(service, _dw(w), visits=4)
    service.add_visit(visited, dispatch_visit(date(2026, 5, 11)), today=TODAY)
    return {"applied": applied, "decided": decided, "visited": visited}
