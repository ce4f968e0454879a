"""Unit tests for consult_desk.domain.sme (DOMAIN.md 5.1)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult_desk.domain.sme import (
    SME_LIMITS,
    SmeCategory,
    SmeLimits,
    SmeStatus,
    default_sme_category,
    sme_status,
)

EXPECTED_LIMITS = {
    SmeCategory.MANUFACTURING_OTHER: (300_000_000, 300, 20),
    SmeCategory.WHOLESALE: (100_000_000, 100, 5),
    SmeCategory.RETAIL: (50_000_000, 50, 5),
    SmeCategory.SERVICE: (50_000_000, 100, 5),
    SmeCategory.RUBBER: (300_000_000, 900, 20),
    SmeCategory.SOFTWARE: (300_000_000, 300, 20),
    SmeCategory.INN: (50_000_000, 200, 20),
}

categories = st.sampled_from(list(SmeCategory))
amounts = st.none() | st.integers(min_value=0, max_value=10**12)


def test_category_values_are_japanese() -> None:
    assert SmeCategory.MANUFACTURING_OTHER == "製造業その他"
    assert SmeCategory.WHOLESALE == "卸売業"
    assert SmeCategory.RETAIL == "小売業"
    assert SmeCategory.SERVICE == "サービス業"
    assert SmeCategory.RUBBER == "ゴム製品製造業"
    assert SmeCategory.SOFTWARE == "ソフトウェア業・情報処理サービス業"
    assert SmeCategory.INN == "旅館業"
    assert SmeCategory("小売業") is SmeCategory.RETAIL


def test_status_values_are_japanese() -> None:
    assert [s.value for s in SmeStatus] == [
        "小規模企業者",
        "中小企業者",
        "中小企業者以外",
        "判定不可",
    ]


@pytest.mark.parametrize(("category", "limits"), EXPECTED_LIMITS.items())
def test_limits_table(category: SmeCategory, limits: tuple[int, int, int]) -> None:
    assert SME_LIMITS[category] == SmeLimits(*limits)


def test_every_category_has_limits() -> None:
    assert set(SME_LIMITS) == set(SmeCategory)


@pytest.mark.parametrize(("category", "limits"), EXPECTED_LIMITS.items())
def test_capital_edge(category: SmeCategory, limits: tuple[int, int, int]) -> None:
    capital, employees, _ = limits
    assert sme_status(category, capital, employees + 1) is SmeStatus.SME
    assert sme_status(category, capital + 1, employees + 1) is SmeStatus.LARGE
    assert sme_status(category, capital, None) is SmeStatus.SME
    assert sme_status(category, capital + 1, None) is SmeStatus.UNKNOWN


@pytest.mark.parametrize(("category", "limits"), EXPECTED_LIMITS.items())
def test_employee_edge(category: SmeCategory, limits: tuple[int, int, int]) -> None:
    capital, employees, _ = limits
    assert sme_status(category, capital + 1, employees) is SmeStatus.SME
    assert sme_status(category, None, employees) is SmeStatus.SME
    assert sme_status(category, None, employees + 1) is SmeStatus.UNKNOWN


@pytest.mark.parametrize(("category", "limits"), EXPECTED_LIMITS.items())
def test_small_business_edge(category: SmeCategory, limits: tuple[int, int, int]) -> None:
    capital, _, small = limits
    assert sme_status(category, capital + 1, small) is SmeStatus.SMALL
    assert sme_status(category, None, small) is SmeStatus.SMALL
    assert sme_status(category, capital, small) is SmeStatus.SMALL
    assert sme_status(category, capital, small + 1) is SmeStatus.SME
    assert sme_status(category, None, small + 1) is SmeStatus.SME


def test_small_business_needs_known_employees() -> None:
    assert sme_status(SmeCategory.RETAIL, 1_000_000, None) is SmeStatus.SME


def test_examples() -> None:
    # A 飲食店 with ¥10M capital and 60 staff: above the retail headcount, within capital.
    assert sme_status(SmeCategory.RETAIL, 10_000_000, 60) is SmeStatus.SME
    # The same headcount is small enough for manufacturing.
    assert sme_status(SmeCategory.MANUFACTURING_OTHER, 500_000_000, 60) is SmeStatus.SME
    # 旅館業 keeps the 宿泊業 small-business limit of 20.
    assert sme_status(SmeCategory.INN, 100_000_000, 20) is SmeStatus.SMALL
    assert sme_status(SmeCategory.SERVICE, 100_000_000, 20) is SmeStatus.SME
    assert sme_status(SmeCategory.RUBBER, 1_000_000_000, 900) is SmeStatus.SME
    assert sme_status(SmeCategory.WHOLESALE, 100_000_001, 101) is SmeStatus.LARGE


def test_unknown_without_category_or_facts() -> None:
    assert sme_status(None, 1_000_000, 3) is SmeStatus.UNKNOWN
    assert sme_status(SmeCategory.SERVICE, None, None) is SmeStatus.UNKNOWN


@pytest.mark.parametrize(("capital", "employees"), [(-1, 10), (10, -1)])
def test_negative_inputs_raise(capital: int, employees: int) -> None:
    with pytest.raises(ValueError):
        sme_status(SmeCategory.SERVICE, capital, employees)


@given(categories, amounts, amounts)
def test_status_is_consistent_with_limits(
    category: SmeCategory, capital: int | None, employees: int | None
) -> None:
    limits = SME_LIMITS[category]
    status = sme_status(category, capital, employees)
    if status is SmeStatus.LARGE:
        assert capital is not None and capital > limits.capital
        assert employees is not None and employees > limits.employees
    elif status is SmeStatus.SMALL:
        assert employees is not None and employees <= limits.small_employees
    elif status is SmeStatus.SME:
        assert (capital is not None and capital <= limits.capital) or (
            employees is not None and employees <= limits.employees
        )
    else:
        assert capital is None or employees is None
    # Learning a missing fact can only refine UNKNOWN, never overturn a decision.
    if status is not SmeStatus.UNKNOWN and employees is not None and capital is None:
        assert sme_status(category, 0, employees) is status


@pytest.mark.parametrize(
    ("major", "expected"),
    [
        ("I", SmeCategory.RETAIL),
        ("M", SmeCategory.RETAIL),
        ("G", SmeCategory.SERVICE),
        ("L", SmeCategory.SERVICE),
        ("N", SmeCategory.SERVICE),
        ("O", SmeCategory.SERVICE),
        ("P", SmeCategory.SERVICE),
        ("Q", SmeCategory.SERVICE),
        ("R", SmeCategory.SERVICE),
        ("A", SmeCategory.MANUFACTURING_OTHER),
        ("D", SmeCategory.MANUFACTURING_OTHER),
        ("E", SmeCategory.MANUFACTURING_OTHER),
        ("H", SmeCategory.MANUFACTURING_OTHER),
        ("J", SmeCategory.MANUFACTURING_OTHER),
        ("K", SmeCategory.MANUFACTURING_OTHER),
        ("S", SmeCategory.MANUFACTURING_OTHER),
        ("T", SmeCategory.MANUFACTURING_OTHER),
        ("i", SmeCategory.RETAIL),
        ("Ｍ", SmeCategory.RETAIL),
        (" E ", SmeCategory.MANUFACTURING_OTHER),
        (None, None),
        ("", None),
        ("U", None),
        ("Z", None),
        ("IE", None),
        ("1", None),
    ],
)
def test_default_sme_category(major: str | None, expected: SmeCategory | None) -> None:
    assert default_sme_category(major) is expected


def test_every_jsic_major_has_a_default() -> None:
    assert all(default_sme_category(chr(c)) is not None for c in range(ord("A"), ord("T") + 1))
