"""Unit tests for consult_desk.domain.safety_net (DOMAIN.md 1.5, セーフティネット保証)."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult_desk.domain.errors import ValidationError
from consult_desk.domain.safety_net import (
    THRESHOLDS,
    VALID_DAYS,
    SafetyNetKind,
    decline_rate,
    qualifies,
    valid_until,
)


def test_kinds_and_thresholds() -> None:
    assert [k.value for k in SafetyNetKind] == ["4号", "5号", "危機関連"]
    assert SafetyNetKind("5号") is SafetyNetKind.NO5
    assert dict(THRESHOLDS) == {
        SafetyNetKind.NO4: Decimal("20"),
        SafetyNetKind.NO5: Decimal("5"),
        SafetyNetKind.CRISIS: Decimal("15"),
    }
    assert VALID_DAYS == 30


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (800_000, 1_000_000, "20.00"),  # 200,000 / 1,000,000 = 20 %
        (800_100, 1_000_000, "19.99"),  # 19.99 % exactly
        (2, 3, "33.33"),  # 33.333… truncated
        (1, 3, "66.66"),  # 66.666… truncated, not rounded up
        (0, 500, "100.00"),  # no sales at all
        (1_000, 1_000, "0.00"),
        (1_111, 1_000, "-11.10"),  # an increase is a negative decline
        (3, 2, "-50.00"),
    ],
)
def test_decline_rate(current: int, previous: int, expected: str) -> None:
    rate = decline_rate(current, previous)
    assert rate == Decimal(expected)
    assert str(rate) == expected  # always two places, ready to print on the 認定書


def test_no4_exactly_twenty_percent_qualifies() -> None:
    assert qualifies(SafetyNetKind.NO4, 800_000, 1_000_000)  # 20.00 %
    # 1,000,000 × 0.8001 = 800,100 → 19.99 %: one hundredth short.
    assert not qualifies(SafetyNetKind.NO4, 800_100, 1_000_000)
    # 19.9999 % (current 8,000,001 of 10,000,000) truncates to 19.99 and fails too.
    assert decline_rate(8_000_001, 10_000_000) == Decimal("19.99")
    assert not qualifies(SafetyNetKind.NO4, 8_000_001, 10_000_000)


def test_no5_and_crisis_thresholds() -> None:
    # 5号: 3 months 3,000,000 → 2,850,000 = 5.00 %.
    assert qualifies(SafetyNetKind.NO5, 2_850_000, 3_000_000)
    assert not qualifies(SafetyNetKind.NO5, 2_850_001, 3_000_000)  # 4.99996… → 4.99
    # 危機関連: 15 %.
    assert qualifies(SafetyNetKind.CRISIS, 850, 1_000)
    assert not qualifies(SafetyNetKind.CRISIS, 851, 1_000)
    # 15 % qualifies for 5号 and 危機関連 but not 4号.
    assert [qualifies(k, 850, 1_000) for k in SafetyNetKind] == [False, True, True]


def test_sales_increase_never_qualifies() -> None:
    assert not any(qualifies(k, 1_200, 1_000) for k in SafetyNetKind)


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (100, 0, {"sales_previous": "safety_net.no_previous_sales"}),
        (0, 0, {"sales_previous": "safety_net.no_previous_sales"}),
        (100, -1, {"sales_previous": "negative"}),
        (-1, 100, {"sales_current": "negative"}),
        (-1, 0, {"sales_current": "negative", "sales_previous": "safety_net.no_previous_sales"}),
    ],
)
def test_bad_sales_raise_validation_error(
    current: int, previous: int, expected: dict[str, str]
) -> None:
    with pytest.raises(ValidationError) as caught:
        decline_rate(current, previous)
    assert caught.value.codes() == expected
    with pytest.raises(ValidationError):
        qualifies(SafetyNetKind.NO4, current, previous)


@pytest.mark.parametrize(
    ("issued_on", "expected"),
    [
        (date(2026, 11, 1), date(2026, 11, 30)),  # day 1 is the issue day, day 30 is 11/30
        (date(2026, 1, 15), date(2026, 2, 13)),  # 17 days in January (15–31) + 13 in February
        (date(2028, 2, 1), date(2028, 3, 1)),  # leap February has 29 days
        (date(2027, 2, 1), date(2027, 3, 2)),
        (date(2026, 12, 10), date(2027, 1, 8)),  # across the calendar year
    ],
)
def test_valid_until(issued_on: date, expected: date) -> None:
    assert valid_until(issued_on) == expected
    assert (valid_until(issued_on) - issued_on).days + 1 == VALID_DAYS


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=1, max_value=10**15))
def test_decline_rate_never_rounds_up(current: int, previous: int) -> None:
    rate = decline_rate(current, previous)
    assert rate.as_tuple().exponent == -2
    exact = Fraction(previous - current, previous) * 100
    assert abs(Fraction(rate)) <= abs(exact) < abs(Fraction(rate)) + Fraction(1, 100)
