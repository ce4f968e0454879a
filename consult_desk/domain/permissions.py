"""Who may do what: roles, the permission matrix, and the signed-in principal.

The matrix is the one documented rule set (docs/permissions.md is generated from it); services
check it before touching the database, and the UI only hides what the services would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from consult_desk.domain.errors import DomainError


class Role(StrEnum):
    CONSULTANT = "consultant"
    LOAN_OFFICER = "loan_officer"
    MANAGER = "manager"
    ADMIN = "admin"
    AUDITOR = "auditor"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.CONSULTANT: "相談員",
    Role.LOAN_OFFICER: "融資担当",
    Role.MANAGER: "管理職",
    Role.ADMIN: "管理者",
    Role.AUDITOR: "監査",
}


class Kind(StrEnum):
    """Kinds of record a permission is about."""

    BUSINESS = "business"
    CONSULTATION = "consultation"
    LOAN = "loan"
    DISPATCH = "dispatch"
    STREET = "street"  # associations, support records, events
    SUBSIDY = "subsidy"
    REPORT = "report"
    STAFF = "staff"
    MASTER = "master"  # reference data: programs, banks, channels, topics, towns
    AUDIT = "audit"
    BACKUP = "backup"


class Action(StrEnum):
    READ = "read"
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"  # to the trash; an administrator can restore
    TRANSITION = "transition"  # a workflow step (loan case, dispatch, subsidy)
    EXPORT = "export"
    PRINT = "print"
    ADMINISTER = "administer"


KIND_LABELS = {
    Kind.BUSINESS: "事業者",
    Kind.CONSULTATION: "相談記録",
    Kind.LOAN: "融資あっせん",
    Kind.DISPATCH: "専門家派遣",
    Kind.STREET: "商店街支援",
    Kind.SUBSIDY: "補助金",
    Kind.REPORT: "帳票",
    Kind.STAFF: "職員",
    Kind.MASTER: "マスタデータ",
    Kind.AUDIT: "監査ログ",
    Kind.BACKUP: "バックアップ",
}
ACTION_LABELS = {
    Action.READ: "閲覧",
    Action.CREATE: "登録",
    Action.EDIT: "編集",
    Action.DELETE: "削除",
    Action.TRANSITION: "状態変更",
    Action.EXPORT: "出力",
    Action.PRINT: "印刷",
    Action.ADMINISTER: "管理",
}

_A = Action
_WORK = frozenset({_A.READ, _A.CREATE, _A.EDIT, _A.EXPORT, _A.PRINT})
_WORKFLOW = _WORK | {_A.TRANSITION}
_LOOK = frozenset({_A.READ, _A.EXPORT, _A.PRINT})
_READ = frozenset({_A.READ})
_ALL = frozenset(Action)

MATRIX: dict[Role, dict[Kind, frozenset[Action]]] = {
    Role.CONSULTANT: {
        Kind.BUSINESS: _WORK,
        Kind.CONSULTATION: _WORK | {_A.DELETE},
        Kind.LOAN: _READ,  # the case and its state; amounts only with a grant
        Kind.DISPATCH: _WORKFLOW,
        Kind.STREET: _WORK,
        Kind.SUBSIDY: _WORKFLOW,
        Kind.REPORT: frozenset({_A.READ, _A.PRINT}),
        Kind.MASTER: _READ,
    },
    Role.LOAN_OFFICER: {
        Kind.BUSINESS: _WORK,
        Kind.CONSULTATION: _WORK,
        Kind.LOAN: _WORKFLOW | {_A.DELETE},
        Kind.DISPATCH: _READ,
        Kind.STREET: _READ,
        Kind.SUBSIDY: _READ,
        Kind.REPORT: frozenset({_A.READ, _A.PRINT}),
        Kind.MASTER: _READ,
    },
    Role.MANAGER: {
        **{
            kind: _LOOK | {_A.DELETE}
            for kind in (
                Kind.BUSINESS,
                Kind.CONSULTATION,
                Kind.LOAN,
                Kind.DISPATCH,
                Kind.STREET,
                Kind.SUBSIDY,
            )
        },
        Kind.REPORT: _LOOK,
        Kind.MASTER: _READ,
    },
    Role.ADMIN: {
        **{kind: _ALL for kind in Kind},
        Kind.AUDIT: frozenset({_A.READ, _A.EXPORT}),  # nobody can change the audit trail
    },
    Role.AUDITOR: {
        **{kind: _READ for kind in Kind if kind not in (Kind.AUDIT, Kind.BACKUP)},
        Kind.AUDIT: frozenset({_A.READ, _A.EXPORT}),
    },
}

# Roles that need the representative's home address and personal phone (区民 / 一般 for loans).
SEES_PERSONAL_DATA = frozenset({Role.LOAN_OFFICER, Role.ADMIN})
# Roles that see loan amounts without a personal grant.
SEES_LOAN_AMOUNTS = frozenset({Role.LOAN_OFFICER, Role.MANAGER, Role.ADMIN, Role.AUDITOR})
MASK = "＊＊＊"


class PermissionDenied(DomainError):
    code = "permission.denied"

    def __init__(self, kind: Kind, action: Action) -> None:
        super().__init__(f"{action.value} {kind.value}")
        self.kind = kind
        self.action = action


def allowed(roles: frozenset[Role], kind: Kind, action: Action) -> bool:
    return any(action in MATRIX[role].get(kind, frozenset()) for role in roles)


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in member of staff every service call acts for."""

    staff_id: int | None  # None only for set-up steps before any account exists
    login: str
    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    loan_amount_grant: bool = False

    def can(self, kind: Kind, action: Action) -> bool:
        return allowed(self.roles, kind, action)

    def require(self, kind: Kind, action: Action) -> None:
        if not self.can(kind, action):
            raise PermissionDenied(kind, action)

    @property
    def sees_personal_data(self) -> bool:
        return bool(self.roles & SEES_PERSONAL_DATA)

    @property
    def sees_loan_amounts(self) -> bool:
        return self.loan_amount_grant or bool(self.roles & SEES_LOAN_AMOUNTS)


# Set-up before any account exists (first administrator, demo data on an empty file).
SETUP = Principal(staff_id=None, login="(setup)", name="初期設定", roles=frozenset({Role.ADMIN}))


def matrix_markdown() -> str:
    """The matrix as the table in docs/permissions.md (a test keeps the two identical)."""
    roles = list(Role)
    lines = [
        "| 記録の種類 | " + " | ".join(r.label for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for kind in Kind:
        cells = []
        for role in roles:
            actions = MATRIX[role].get(kind, frozenset())
            cells.append("・".join(ACTION_LABELS[a] for a in Action if a in actions) or "—")
        lines.append(f"| {KIND_LABELS[kind]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
