"""Reference data as the UI and reports see it: choices, the plan tree, staff."""

from __future__ import annotations

from dataclasses import dataclass

from consult_desk.domain.permissions import Role


@dataclass(frozen=True, slots=True)
class Choice:
    """One entry of a reference list (channel, topic, town, JSIC 大分類, staff member)."""

    id: int | str
    name: str
    detail: str = ""  # e.g. a town's postal code, a topic's default initiative code


@dataclass(frozen=True, slots=True)
class TownChoice:
    id: int
    name: str
    kana: str
    postal_code: str
    area: str


@dataclass(frozen=True, slots=True)
class InitiativeNode:
    """主な取組み."""

    id: int
    code: str
    title: str
    owners: tuple[str, ...]
    owners_note: str
    description: str


@dataclass(frozen=True, slots=True)
class PolicyNode:
    """個別方針."""

    code: str
    title: str
    description: str
    summary: str
    initiatives: tuple[InitiativeNode, ...]


@dataclass(frozen=True, slots=True)
class BasicPolicyNode:
    """基本方針."""

    code: str
    title: str
    description: str
    policies: tuple[PolicyNode, ...]


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    login: str
    name: str
    roles: tuple[Role, ...]
    active: bool
