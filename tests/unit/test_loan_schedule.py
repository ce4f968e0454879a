"""Unit tests for consult_desk.domain.loan_schedule (DOMAIN.md 1.1, 1.3, 1.6).

Every figure is worked by hand in the comments; interest/subsidy = floor(balance × rate/100/12).
"""

import time
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult_desk.domain.errors import FieldError, ValidationError
from consult_desk.domain.fiscal import fiscal_year
from consult_desk.domain.loan_schedule import (
    Instalment,
    LoanTerms,
    Prepayment,
    balance_on,
    fiscal_year_subsidy,
    forecast,
    maturity,
    schedule,
    subsidy_by_fiscal_year,
)

# ¥3,000,000 at 2.1 % nominal / 1.6 % subsidy, 36 months of which 6 are grace, executed on a 31st.
MONTH_END = LoanTerms(
    executed_on=date(2026, 1, 31),
    amount=3_000_000,
    term_months=36,
    grace_months=6,
    nominal_rate=Decimal("2.1"),
    subsidy_rate=Decimal("1.6"),
)

# ¥1,200,000 over 12 months, no grace, 2.0 % / 1.2 %, executed 2026-01-15.
# Principal 1,200,000 // 12 = 100,000 a month; subsidy = balance × 1.2/1200 = balance / 1,000;
# interest = balance × 2.0/1200 = balance / 600.
SIMPLE = LoanTerms(
    executed_on=date(2026, 1, 15),
    amount=1_200_000,
    term_months=12,
    grace_months=0,
    nominal_rate=Decimal("2.0"),
    subsidy_rate=Decimal("1.2"),
)


def test_due_dates_clamp_to_month_end() -> None:
    due = [i.due_on for i in schedule(MONTH_END)]
    # Executed 1/31: 2026 is not a leap year, 2028 is (instalment 25 = 2028-02).
    assert due[:4] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]
    assert due[12] == date(2027, 2, 28)
    assert due[24] == date(2028, 2, 29)
    assert due[-1] == date(2029, 1, 31)
    assert maturity(MONTH_END) == date(2029, 1, 31)


def test_grace_months_are_interest_only() -> None:
    rows = schedule(MONTH_END)
    assert len(rows) == 36
    for row in rows[:6]:
        # 3,000,000 × 2.1 / 100 / 12 = 5,250 ; 3,000,000 × 1.6 / 100 / 12 = 4,000
        assert row.in_grace
        assert (row.principal, row.interest, row.subsidy) == (0, 5_250, 4_000)
        assert row.opening_balance == row.closing_balance == 3_000_000


def test_equal_principal_after_grace() -> None:
    rows = schedule(MONTH_END)
    repaying = rows[6:]
    # 30 instalments of 3,000,000 // 30 = 100,000, nothing left over.
    assert len(repaying) == 30
    assert all(not r.in_grace and r.principal == 100_000 for r in repaying)
    assert rows[6] == Instalment(
        7, date(2026, 8, 31), 3_000_000, 100_000, 5_250, 4_000, 2_900_000, False
    )
    # 2,900,000 × 0.021 / 12 = 5,075 ; 2,900,000 × 0.016 / 12 = 3,866.66… → 3,866
    assert (rows[7].interest, rows[7].subsidy) == (5_075, 3_866)
    # Last: 100,000 × 0.021 / 12 = 175 ; 100,000 × 0.016 / 12 = 133.33… → 133
    assert rows[-1] == Instalment(36, date(2029, 1, 31), 100_000, 100_000, 175, 133, 0, False)


def test_totals_and_fiscal_years_of_month_end_loan() -> None:
    rows = schedule(MONTH_END)
    # Interest: grace 6 × 5,250 = 31,500; repaying balances j × 100,000 (j = 30..1) give exactly
    # 175 j, Σ = 175 × 465 = 81,375 → 112,875.
    assert sum(r.interest for r in rows) == 112_875
    # Subsidy: grace 6 × 4,000 = 24,000; repaying floor(j × 400/3), Σ j × 400/3 = 62,000 less the
    # dropped thirds (10 × 1/3 + 10 × 2/3 = 10) = 61,990 → 85,990.
    assert sum(r.subsidy for r in rows) == 85_990
    # 年度2025: Feb, Mar 2026 (grace) = 8,000.
    # 年度2026: Apr–Jul grace 16,000 + Aug 2026–Mar 2027 at j = 30..23:
    #   4,000 + 3,866 + 3,733 + 3,600 + 3,466 + 3,333 + 3,200 + 3,066 = 28,264 → 44,264.
    # 年度2028: Apr 2028–Jan 2029 at j = 10..1:
    #   1,333 + 1,200 + 1,066 + 933 + 800 + 666 + 533 + 400 + 266 + 133 = 7,330.
    # 年度2027: the rest, 85,990 − 8,000 − 44,264 − 7,330 = 26,396.
    assert subsidy_by_fiscal_year(rows) == {2025: 8_000, 2026: 44_264, 2027: 26_396, 2028: 7_330}
    assert fiscal_year_subsidy(MONTH_END, 2026) == 44_264
    assert fiscal_year_subsidy(MONTH_END, 2024) == 0
    assert fiscal_year_subsidy(MONTH_END, 2029) == 0


def test_remainder_goes_to_last_instalment() -> None:
    terms = LoanTerms(date(2026, 4, 10), 1_000_000, 7, 0, Decimal("1.0"), Decimal("0.5"))
    rows = schedule(terms)
    # 1,000,000 // 7 = 142,857; 6 × 142,857 = 857,142; the last takes 142,858.
    assert [r.principal for r in rows] == [142_857] * 6 + [142_858]
    assert sum(r.principal for r in rows) == 1_000_000
    assert rows[-1].opening_balance == 142_858
    assert rows[-1].closing_balance == 0


def test_single_instalment_loan() -> None:
    terms = LoanTerms(date(2026, 4, 1), 500_000, 1, 0, Decimal("1.2"), Decimal("0"))
    # 500,000 × 1.2 / 1200 = 500; no subsidy at 0 %.
    assert schedule(terms) == [Instalment(1, date(2026, 5, 1), 500_000, 500_000, 500, 0, 0, False)]


def test_subsidy_split_across_april() -> None:
    rows = schedule(SIMPLE)
    # Due 2/15 and 3/15 belong to 年度2025 (1,200 + 1,100 = 2,300);
    # 2026-04-15 … 2027-01-15 to 年度2026 (1,000 + 900 + … + 100 = 5,500).
    assert [fiscal_year(r.due_on) for r in rows[:3]] == [2025, 2025, 2026]
    assert [r.subsidy for r in rows] == [1_200 - 100 * k for k in range(12)]
    assert subsidy_by_fiscal_year(rows) == {2025: 2_300, 2026: 5_500}
    assert fiscal_year_subsidy(SIMPLE, 2025) == 2_300
    assert fiscal_year_subsidy(SIMPLE, 2026) == 5_500
    # Interest 1,100,000 / 600 = 1,833.33… → 1,833
    assert rows[1].interest == 1_833


def test_partial_prepayment_shortens_the_loan() -> None:
    # After instalment 3 (4/15) the balance is 900,000; 350,000 paid on 4/20 leaves 550,000.
    # Then 100,000 a month: 5/15 → 450,000, 6/15 → 350,000, 7/15 → 250,000, 8/15 → 150,000,
    # 9/15 → 50,000, and 10/15 repays the last 50,000: 9 instalments instead of 12.
    terms = replace(SIMPLE, prepayments=(Prepayment(date(2026, 4, 20), 350_000),))
    rows = schedule(terms)
    assert len(rows) == 9
    assert rows[2].closing_balance == 900_000
    assert rows[3].opening_balance == 550_000
    assert (rows[3].subsidy, rows[3].interest) == (550, 916)  # 550,000/1,000; 550,000/600 = 916.66…
    assert [r.principal for r in rows[3:]] == [100_000] * 5 + [50_000]
    assert rows[-1].closing_balance == 0
    assert sum(r.principal for r in rows) + 350_000 == 1_200_000
    assert maturity(terms) == date(2026, 10, 15)
    assert balance_on(terms, date(2026, 4, 19)) == 900_000
    assert balance_on(terms, date(2026, 4, 20)) == 550_000
    assert balance_on(terms, date(2026, 5, 15)) == 450_000
    # 年度2026 subsidy: 1,000 (4/15) + 550 + 450 + 350 + 250 + 150 + 50 = 2,800.
    assert fiscal_year_subsidy(terms, 2026) == 2_800


def test_prepayment_on_a_due_date_follows_that_instalment() -> None:
    terms = replace(SIMPLE, prepayments=(Prepayment(date(2026, 4, 15), 350_000),))
    rows = schedule(terms)
    # Instalment 3 (due 4/15) still runs on 1,000,000; the prepayment lands before instalment 4.
    assert rows[2].opening_balance == 1_000_000
    assert rows[3].opening_balance == 550_000
    assert balance_on(terms, date(2026, 4, 15)) == 550_000


def test_prepayment_before_first_instalment_and_during_grace() -> None:
    # ¥1,200,000, 12 months with 3 grace → 9 × 133,333 + 133,336. 600,000 repaid on the execution
    # day: instalment 1 runs on 600,000, grace still lasts 3 months, then 133,333 ×4 = 533,332 and
    # 66,668 on the 5th repaying month (instalment 8).
    terms = replace(SIMPLE, grace_months=3, prepayments=(Prepayment(date(2026, 1, 15), 600_000),))
    rows = schedule(terms)
    assert rows[0].opening_balance == 600_000
    assert rows[0].subsidy == 600
    assert [r.principal for r in rows] == [0, 0, 0, 133_333, 133_333, 133_333, 133_333, 66_668]
    assert maturity(terms) == date(2026, 9, 15)


def test_full_prepayment_ends_the_loan_that_day() -> None:
    # 4 instalments leave 800,000 after 5/15; ¥2,000,000 paid on 6/1 counts as 800,000.
    terms = replace(SIMPLE, prepayments=(Prepayment(date(2026, 6, 1), 2_000_000),))
    rows = schedule(terms)
    assert [r.number for r in rows] == [1, 2, 3, 4]
    assert rows[-1].closing_balance == 800_000
    assert maturity(terms) == date(2026, 6, 1)
    assert balance_on(terms, date(2026, 5, 31)) == 800_000
    assert balance_on(terms, date(2026, 6, 1)) == 0
    # 年度2026: 4/15 and 5/15 only → 1,000 + 900.
    assert fiscal_year_subsidy(terms, 2026) == 1_900


def test_exact_full_prepayment_and_later_ones_are_ignored() -> None:
    terms = replace(
        SIMPLE,
        prepayments=(Prepayment(date(2026, 3, 1), 1_100_000), Prepayment(date(2026, 5, 1), 5)),
    )
    assert [r.number for r in schedule(terms)] == [1]
    assert maturity(terms) == date(2026, 3, 1)
    assert balance_on(terms, date(2030, 1, 1)) == 0


def test_prepayments_are_applied_in_date_order() -> None:
    early, late = Prepayment(date(2026, 2, 20), 100_000), Prepayment(date(2026, 2, 25), 50_000)
    assert schedule(replace(SIMPLE, prepayments=(late, early))) == schedule(
        replace(SIMPLE, prepayments=(early, late))
    )


def test_subsidy_stops_after_the_stop_date() -> None:
    # Moved out of the ward on 6/30: 4/15, 5/15, 6/15 are subsidised (1,000 + 900 + 800), not later.
    terms = replace(SIMPLE, subsidy_stopped_on=date(2026, 6, 30))
    rows = schedule(terms)
    assert [r.subsidy for r in rows[5:]] == [0] * 7
    assert rows[4].subsidy == 800
    assert rows[5].interest == 1_166  # the borrower still owes interest: 700,000 / 600
    assert fiscal_year_subsidy(terms, 2026) == 2_700
    assert subsidy_by_fiscal_year(rows) == {2025: 2_300, 2026: 2_700}


def test_instalment_due_on_the_stop_date_is_still_subsidised() -> None:
    terms = replace(SIMPLE, subsidy_stopped_on=date(2026, 6, 15))
    assert fiscal_year_subsidy(terms, 2026) == 2_700
    stopped_before = replace(SIMPLE, subsidy_stopped_on=date(2025, 12, 1))
    assert all(r.subsidy == 0 for r in schedule(stopped_before))


def test_forecast_sums_loans() -> None:
    # 年度2026: 44,264 (MONTH_END) + 5,500 (SIMPLE).
    assert forecast([MONTH_END, SIMPLE], 2026) == 49_764
    assert forecast([], 2026) == 0


def test_forecast_of_two_thousand_loans_is_fast() -> None:
    loans = [
        LoanTerms(
            date(2020, 1, 1) + timedelta(days=i),
            10_000_000 + i,
            120,
            12,
            Decimal("1.9"),
            Decimal("1.6"),
        )
        for i in range(2_000)
    ]
    start = time.perf_counter()
    total = forecast(loans, 2026)
    assert time.perf_counter() - start < 1.0
    assert total > 0


def test_balance_on() -> None:
    assert balance_on(SIMPLE, date(2026, 1, 14)) == 0  # not yet executed
    assert balance_on(SIMPLE, date(2026, 1, 15)) == 1_200_000
    assert balance_on(SIMPLE, date(2026, 2, 14)) == 1_200_000
    assert balance_on(SIMPLE, date(2026, 2, 15)) == 1_100_000
    assert balance_on(SIMPLE, date(2027, 1, 15)) == 0
    assert balance_on(MONTH_END, date(2026, 8, 31)) == 2_900_000  # grace, then one payment


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"amount": -1}, "amount", "loan.amount_positive"),
        ({"amount": 0}, "amount", "loan.amount_positive"),
        ({"amount": 10**13}, "amount", "too_large"),
        ({"term_months": 0}, "term_months", "loan.term_range"),
        ({"term_months": 361, "grace_months": 0}, "term_months", "loan.term_range"),
        ({"grace_months": -1}, "grace_months", "negative"),
        ({"grace_months": 36}, "grace_months", "loan.grace_not_below_term"),
        ({"grace_months": 40}, "grace_months", "loan.grace_not_below_term"),
        ({"nominal_rate": Decimal("-0.1")}, "nominal_rate", "loan.rate_range"),
        ({"nominal_rate": Decimal("NaN")}, "nominal_rate", "rate.format"),
        ({"nominal_rate": Decimal("20.01")}, "nominal_rate", "loan.rate_range"),
        ({"subsidy_rate": Decimal("2.2")}, "subsidy_rate", "loan_terms.subsidy_above_nominal"),
        ({"subsidy_rate": Decimal("-1")}, "subsidy_rate", "loan.rate_range"),
        (
            {"prepayments": (Prepayment(date(2026, 5, 1), 0),)},
            "prepayments",
            "loan.amount_positive",
        ),
        (
            {"prepayments": (Prepayment(date(2026, 1, 30), 1),)},
            "prepayments",
            "loan.before_execution",
        ),
    ],
)
def test_bad_terms_raise_validation_error(change: dict[str, object], field: str, code: str) -> None:
    terms = replace(MONTH_END, **change)  # type: ignore[arg-type]
    assert terms.errors()
    for call in (schedule, maturity, lambda t: fiscal_year_subsidy(t, 2026)):
        with pytest.raises(ValidationError) as caught:
            call(terms)
        assert caught.value.codes()[field] == code
    with pytest.raises(ValidationError):
        balance_on(terms, date(2026, 6, 1))
    with pytest.raises(ValidationError):
        forecast([SIMPLE, terms], 2026)


def test_all_errors_are_reported_together() -> None:
    terms = replace(MONTH_END, amount=-5, grace_months=36, subsidy_rate=Decimal("3"))
    with pytest.raises(ValidationError) as caught:
        schedule(terms)
    assert caught.value.codes() == {
        "amount": "loan.amount_positive",
        "grace_months": "loan.grace_not_below_term",
        "subsidy_rate": "loan_terms.subsidy_above_nominal",
    }


def test_schedule_past_year_9999_is_rejected_not_crashed() -> None:
    terms = replace(MONTH_END, executed_on=date(9999, 1, 1))
    assert terms.errors() == [FieldError("term_months", "too_large")]


def test_longest_term_and_highest_rate_are_valid() -> None:
    terms = replace(
        MONTH_END, term_months=360, nominal_rate=Decimal("20"), subsidy_rate=Decimal("20")
    )
    rows = schedule(terms)
    assert len(rows) == 360
    # 3,000,000 × 20 / 1200 = 50,000
    assert (rows[0].interest, rows[0].subsidy) == (50_000, 50_000)


def test_zero_rates_and_equal_rates_are_valid() -> None:
    free = replace(SIMPLE, nominal_rate=Decimal("0"), subsidy_rate=Decimal("0"))
    assert all(r.interest == r.subsidy == 0 for r in schedule(free))
    full = replace(SIMPLE, subsidy_rate=Decimal("2.0"))  # the ward pays all the interest
    assert all(r.interest == r.subsidy for r in schedule(full))


rates = st.decimals(min_value=0, max_value=20, places=3)


@st.composite
def loan_terms(draw: st.DrawFn) -> LoanTerms:
    executed_on = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)))
    term = draw(st.integers(min_value=1, max_value=180))
    nominal = draw(rates)
    prepayments = draw(
        st.lists(
            st.builds(
                Prepayment,
                paid_on=st.dates(
                    min_value=executed_on, max_value=executed_on + timedelta(days=31 * term + 40)
                ),
                amount=st.integers(min_value=1, max_value=5 * 10**7),
            ),
            max_size=4,
        )
    )
    return LoanTerms(
        executed_on=executed_on,
        amount=draw(st.integers(min_value=1, max_value=10**9)),
        term_months=term,
        grace_months=draw(st.integers(min_value=0, max_value=term - 1)),
        nominal_rate=nominal,
        subsidy_rate=draw(rates.filter(lambda r: r <= nominal)),
        prepayments=tuple(prepayments),
        subsidy_stopped_on=draw(st.none() | st.dates(min_value=executed_on)),
    )


@given(loan_terms())
def test_principal_and_prepayments_repay_exactly_the_amount(terms: LoanTerms) -> None:
    rows = schedule(terms)
    assert len(rows) <= terms.term_months
    assert [r.number for r in rows] == list(range(1, len(rows) + 1))
    assert all(a.due_on < b.due_on for a, b in pairwise(rows))
    prepaid = terms.amount - sum(r.principal for r in rows)
    assert prepaid >= 0
    if not terms.prepayments:
        assert prepaid == 0
        assert len(rows) == terms.term_months
        assert rows[-1].closing_balance == 0
    balance = terms.amount
    for row in rows:
        assert 0 <= row.opening_balance <= balance  # only prepayments lower it between rows
        assert row.principal >= 0
        assert row.closing_balance == row.opening_balance - row.principal >= 0
        assert 0 <= row.subsidy <= row.interest
        assert row.in_grace == (row.number <= terms.grace_months)
        balance = row.closing_balance
    assert balance_on(terms, maturity(terms)) == 0
    assert sum(subsidy_by_fiscal_year(rows).values()) == sum(r.subsidy for r in rows)


@given(loan_terms())
def test_balance_on_matches_schedule_without_prepayments(terms: LoanTerms) -> None:
    terms = replace(terms, prepayments=())
    rows = schedule(terms)
    for row in [*rows[::11], rows[-1]]:  # a sample: balance_on walks the schedule each time
        assert balance_on(terms, row.due_on) == row.closing_balance
        assert balance_on(terms, row.due_on - timedelta(days=1)) == row.opening_balance
