"""Unit tests for consult_desk.domain.corporate_number (DOMAIN.md 5.2 vectors)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult_desk.domain.corporate_number import (
    check_digit,
    corporate_number_error,
    is_valid_corporate_number,
    make_corporate_number,
    normalize_corporate_number,
)

VALID = [
    "7000012050002",  # 国税庁
    "1180301018771",  # トヨタ自動車
    "5010001008846",  # 三菱ＵＦＪ銀行
    "4000012090001",  # 経済産業省
    "8000020130001",  # 東京都
    "8000020131016",  # 千代田区
    "5835678256246",  # python-stdnum doctest
]

bases = st.text(alphabet="0123456789", min_size=12, max_size=12)


@pytest.mark.parametrize("number", VALID)
def test_known_numbers_are_valid(number: str) -> None:
    assert corporate_number_error(number) is None
    assert is_valid_corporate_number(number)
    assert check_digit(number[1:]) == int(number[0])
    assert make_corporate_number(number[1:]) == number


@pytest.mark.parametrize("number", ["1180301018772", "6010001008846"])
def test_wrong_check_digit_is_rejected(number: str) -> None:
    assert corporate_number_error(number) == "corporate_number.check_digit"
    assert not is_valid_corporate_number(number)


def test_altered_toyota_base_computes_to_nine() -> None:
    assert check_digit("180301018772") == 9


def test_zero_nine_substitution_is_not_detected() -> None:
    # The documented weakness of the NTA formula: 0 and 9 are both ≡ 0 (mod 9).
    assert is_valid_corporate_number("1189301018771")


@pytest.mark.parametrize(
    "typed",
    ["１１８０３０１０１８７７１", "1180-3010-18771", " 1180 3010 18771 ", "1180－3010－18771"],
)
def test_typed_forms_are_valid_after_normalisation(typed: str) -> None:
    assert normalize_corporate_number(typed) == "1180301018771"
    assert is_valid_corporate_number(typed)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "abcdefghijklm",
        "118030101877",  # 12 digits
        "11803010187711",  # 14 digits
        "118030101877a",
        "1180301O18771",  # letter O for zero
        "+180301018771",
        "118030101877١",  # Arabic-Indic one is a digit to str.isdigit() but not to us
    ],
)
def test_malformed_numbers_report_length(bad: str) -> None:
    assert corporate_number_error(bad) == "corporate_number.length"
    assert not is_valid_corporate_number(bad)


def test_leading_zero_is_never_a_check_digit() -> None:
    assert corporate_number_error("0180301018771") == "corporate_number.check_digit"


@pytest.mark.parametrize(
    "bad", ["", "12345678901", "1234567890123", "12345678901a", "１２３４５６７８９０１２"]
)
def test_check_digit_rejects_bad_base(bad: str) -> None:
    with pytest.raises(ValueError):
        check_digit(bad)


def test_make_corporate_number_rejects_bad_base() -> None:
    with pytest.raises(ValueError):
        make_corporate_number("12345")


@given(bases)
def test_check_digit_is_between_one_and_nine(base: str) -> None:
    assert 1 <= check_digit(base) <= 9


@given(bases)
def test_made_numbers_are_valid(base: str) -> None:
    number = make_corporate_number(base)
    assert len(number) == 13
    assert number.endswith(base)
    assert corporate_number_error(number) is None


@given(bases, st.integers(min_value=0, max_value=12), st.integers(min_value=1, max_value=9))
def test_single_digit_change_is_detected(base: str, position: int, shift: int) -> None:
    number = make_corporate_number(base)
    old = int(number[position])
    new = (old + shift) % 10
    altered = number[:position] + str(new) + number[position + 1 :]
    if position > 0 and {old, new} == {0, 9}:
        assert is_valid_corporate_number(altered)
    else:
        assert corporate_number_error(altered) == "corporate_number.check_digit"
