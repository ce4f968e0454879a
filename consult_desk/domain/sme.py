"""中小企業者 / 小規模企業者 status under 中小企業基本法 第2条 (capital or employees suffices)."""

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class SmeCategory(StrEnum):
    MANUFACTURING_OTHER = "製造業その他"
    WHOLESALE = "卸売業"
    RETAIL = "小売業"
    SERVICE = "サービス業"
    RUBBER = "ゴム製品製造業"
    SOFTWARE = "ソフトウェア業・情報処理サービス業"
    INN = "旅館業"


class SmeStatus(StrEnum):
    SMALL = "小規模企業者"
    SME = "中小企業者"
    LARGE = "中小企業者以外"
    UNKNOWN = "判定不可"


@dataclass(frozen=True, slots=True)
class SmeLimits:
    capital: int
    employees: int
    small_employees: int


# ゴム製品製造業, ソフトウェア業 and 旅館業 are the cabinet-order exceptions used by several
# SME laws; 旅館業 keeps the 宿泊業 small-business limit of 20, not the service limit of 5.
SME_LIMITS: Mapping[SmeCategory, SmeLimits] = MappingProxyType(
    {
        SmeCategory.MANUFACTURING_OTHER: SmeLimits(300_000_000, 300, 20),
        SmeCategory.WHOLESALE: SmeLimits(100_000_000, 100, 5),
        SmeCategory.RETAIL: SmeLimits(50_000_000, 50, 5),
        SmeCategory.SERVICE: SmeLimits(50_000_000, 100, 5),
        SmeCategory.RUBBER: SmeLimits(300_000_000, 900, 20),
        SmeCategory.SOFTWARE: SmeLimits(300_000_000, 300, 20),
        SmeCategory.INN: SmeLimits(50_000_000, 200, 20),
    }
)

# The law maps industries by JSIC 中分類 and even 小分類 (e.g. G37 通信業 is その他 but G39 情報
# サービス業 is サービス業; M75 宿泊業 is サービス業 while M76 飲食店 counts as 小売業), so a
# 大分類 only gives the most common group as a default that the user can override.
_DEFAULT_BY_JSIC_MAJOR: Mapping[str, SmeCategory] = MappingProxyType(
    {
        "I": SmeCategory.RETAIL,
        "M": SmeCategory.RETAIL,
        **dict.fromkeys("GLNOPQR", SmeCategory.SERVICE),
    }
)
_JSIC_MAJORS = frozenset("ABCDEFGHIJKLMNOPQRST")


def default_sme_category(jsic_major: str | None) -> SmeCategory | None:
    """Return the SME-law industry group suggested for a JSIC 大分類 letter, None if unknown."""
    if jsic_major is None:
        return None
    letter = unicodedata.normalize("NFKC", jsic_major).strip().upper()
    if letter not in _JSIC_MAJORS:
        return None
    return _DEFAULT_BY_JSIC_MAJOR.get(letter, SmeCategory.MANUFACTURING_OTHER)


def sme_status(
    category: SmeCategory | None, capital: int | None, employees: int | None
) -> SmeStatus:
    """Return the status for capital (yen) and regular employees, either of which may be unknown.

    - SME when capital or employees is within its limit (either suffices);
    - SMALL when, in addition, employees are known and within the small-business limit;
    - LARGE only when both are known and both above their limits;
    - UNKNOWN without a category or when the known facts cannot decide.
    """
    if (capital is not None and capital < 0) or (employees is not None and employees < 0):
        raise ValueError("capital and employees cannot be negative")
    if category is None:
        return SmeStatus.UNKNOWN
    limits = SME_LIMITS[category]
    capital_within = capital is not None and capital <= limits.capital
    employees_within = employees is not None and employees <= limits.employees
    if capital_within or employees_within:
        if employees is not None and employees <= limits.small_employees:
            return SmeStatus.SMALL
        return SmeStatus.SME
    if capital is not None and employees is not None:
        return SmeStatus.LARGE
    return SmeStatus.UNKNOWN
