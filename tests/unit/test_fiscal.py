"""Unit tests for consult_desk.domain.fiscal (DOMAIN.md 5.5, 5.6)."""

from datetime import date, time, timedelta

import jaconv
import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult_desk.domain.fiscal import (
    era_of,
    fiscal_year,
    fiscal_year_range,
    format_date,
    format_yen,
    parse_date,
    parse_time,
    wareki,
    wareki_fiscal_year,
    wareki_month,
)

heisei_on = st.dates(min_value=date(1989, 1, 8), max_value=date(2200, 12, 31))


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2019, 5, 1), ("令和", 1)),
        (date(2019, 4, 30), ("平成", 31)),
        (date(2026, 10, 1), ("令和", 8)),
        (date(1989, 1, 8), ("平成", 1)),
        (date(1989, 1, 7), ("昭和", 64)),
        (date(1926, 12, 25), ("昭和", 1)),
        (date(1926, 12, 24), ("大正", 15)),
        (date(1912, 7, 30), ("大正", 1)),
        (date(1912, 7, 29), ("明治", 45)),
        (date(1868, 1, 1), ("明治", 1)),
    ],
)
def test_era_of(d: date, expected: tuple[str, int]) -> None:
    assert era_of(d) == expected


def test_era_of_before_meiji_raises() -> None:
    with pytest.raises(ValueError):
        era_of(date(1867, 12, 31))


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2026, 10, 1), "令和8年10月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(2020, 1, 1), "令和2年1月1日"),
    ],
)
def test_wareki(d: date, expected: str) -> None:
    assert wareki(d) == expected


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2026, 10, "令和8年10月"),
        (2019, 5, "令和元年5月"),
        (2019, 4, "平成31年4月"),
        (1989, 1, "昭和64年1月"),
        (1989, 2, "平成元年2月"),
    ],
)
def test_wareki_month(year: int, month: int, expected: str) -> None:
    assert wareki_month(year, month) == expected


def test_wareki_month_rejects_month_13() -> None:
    with pytest.raises(ValueError):
        wareki_month(2026, 13)


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 4, 1), 2026),
        (date(2027, 3, 31), 2026),
        (date(2026, 3, 31), 2025),
        (date(2026, 12, 31), 2026),
        (date(2027, 1, 1), 2026),
    ],
)
def test_fiscal_year(d: date, expected: int) -> None:
    assert fiscal_year(d) == expected


def test_fiscal_year_range() -> None:
    assert fiscal_year_range(2026) == (date(2026, 4, 1), date(2027, 3, 31))
    assert fiscal_year_range(2023) == (date(2023, 4, 1), date(2024, 3, 31))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_fiscal_year_matches_its_range(d: date) -> None:
    first, last = fiscal_year_range(fiscal_year(d))
    assert first <= d <= last
    assert fiscal_year(first) == fiscal_year(last) == fiscal_year(d)
    assert fiscal_year(first - timedelta(days=1)) == fiscal_year(d) - 1
    assert fiscal_year(last + timedelta(days=1)) == fiscal_year(d) + 1


@pytest.mark.parametrize(
    ("fy", "expected"),
    [
        (2026, "令和8年度"),
        (2019, "令和元年度"),
        (2018, "平成30年度"),
        (2020, "令和2年度"),
        (1989, "平成元年度"),
        (1988, "昭和63年度"),
    ],
)
def test_wareki_fiscal_year(fy: int, expected: str) -> None:
    assert wareki_fiscal_year(fy) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-01", date(2026, 10, 1)),
        ("2026/10/1", date(2026, 10, 1)),
        ("2026.10.1", date(2026, 10, 1)),
        ("2026年10月1日", date(2026, 10, 1)),
        ("2026年10月1", date(2026, 10, 1)),
        ("20261001", date(2026, 10, 1)),
        ("令和8年10月1日", date(2026, 10, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("令和1年5月1日", date(2019, 5, 1)),
        ("R8.10.1", date(2026, 10, 1)),
        ("R8/10/1", date(2026, 10, 1)),
        ("r8-10-1", date(2026, 10, 1)),
        ("Ｒ８．１０．１", date(2026, 10, 1)),
        ("R元.5.1", date(2019, 5, 1)),
        ("H31.4.30", date(2019, 4, 30)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("S64.1.7", date(1989, 1, 7)),
        ("㋿8年10月1日", date(2026, 10, 1)),
        ("２０２６／１０／０１", date(2026, 10, 1)),
        ("  2026-10-01  ", date(2026, 10, 1)),
        ("2026 年 10 月 1 日", date(2026, 10, 1)),
        ("2024-02-29", date(2024, 2, 29)),
        # Succession days of 明治→大正 and 大正→昭和 belong to both eras.
        ("大正15年12月25日", date(1926, 12, 25)),
        ("昭和元年12月25日", date(1926, 12, 25)),
        ("明治45年7月30日", date(1912, 7, 30)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "2026",
        "2026-10",
        "2026-02-31",
        "2026/13/01",
        "2026-00-10",
        "2026-10/01",
        "2025-02-29",
        "0000-01-01",
        "26-10-01",
        "令和0年5月1日",
        "R0.5.1",
        "令和1年4月1日",
        "令和元年4月30日",
        "平成31年5月1日",
        "H31.5.1",
        "平成元年1月7日",
        "昭和64年1月8日",
        "大正15年12月26日",
        "X8.10.1",
        "令和8年10月",
        "令和8年2月30日",
        "R8.10.1.1",
        "明治元年",
    ],
)
def test_parse_date_rejects_junk_and_impossible_dates(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@given(st.dates())
def test_parse_date_round_trips_iso(d: date) -> None:
    assert parse_date(d.isoformat()) == d


@given(heisei_on)
def test_parse_date_round_trips_wareki(d: date) -> None:
    assert parse_date(wareki(d)) == d
    assert parse_date(jaconv.h2z(wareki(d), digit=True)) == d


@given(st.text())
def test_parse_date_raises_only_value_error(text: str) -> None:
    try:
        result = parse_date(text)
    except ValueError:
        return
    assert isinstance(result, date)


def test_format_date() -> None:
    assert format_date(None) == ""
    assert format_date(None, western=True) == ""
    assert format_date(date(2026, 10, 1)) == "令和8年10月1日"
    assert format_date(date(2026, 10, 1), western=True) == "2026/10/01"
    assert format_date(date(2019, 5, 1)) == "令和元年5月1日"


def test_format_date_falls_back_to_western_before_meiji() -> None:
    assert format_date(date(1850, 3, 4)) == "1850/03/04"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (None, ""),
        (0, "0円"),
        (999, "999円"),
        (1000, "1,000円"),
        (1_234_000, "1,234,000円"),
        (-1000, "-1,000円"),
    ],
)
def test_format_yen(amount: int | None, expected: str) -> None:
    assert format_yen(amount) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("10:30", time(10, 30)),
        ("1030", time(10, 30)),
        ("10時30分", time(10, 30)),
        ("10時", time(10, 0)),
        ("９：３０", time(9, 30)),
        (" 9 ", time(9, 0)),
    ],
)
def test_parse_time_accepts_what_people_type(typed: str, expected: time) -> None:
    assert parse_time(typed) == expected


@pytest.mark.parametrize("typed", ["25:00", "10:75", "abc", "", "12345", "10:3:0"])
def test_parse_time_refuses_nonsense(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_time(typed)
