"""Unit tests for consult_desk.domain.text."""

import jaconv
import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult_desk.domain.text import digits_only, kana_key, normalize, parse_int, search_key

katakana = st.text(alphabet=st.characters(min_codepoint=0x30A1, max_codepoint=0x30F6))
hiragana = st.text(alphabet=st.characters(min_codepoint=0x3041, max_codepoint=0x3096))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  株式会社　千代田  ", "株式会社 千代田"),
        ("ＡＢＣ　商事", "ABC 商事"),
        ("ﾁﾖﾀﾞ\t\n商店", "チヨダ 商店"),
        ("a   b", "a b"),
        ("", ""),
        ("   ", ""),
        ("１２３", "123"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@given(st.text())
def test_normalize_is_idempotent_and_trimmed(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert once == once.strip()
    assert "  " not in once


def test_search_key_is_kana_and_width_insensitive() -> None:
    assert search_key("ちよだ") == search_key("チヨダ") == search_key("ﾁﾖﾀﾞ") == "チヨダ"
    assert search_key("ＡＢＣ") == search_key("abc") == search_key("ABC") == "abc"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("千代田 商事", "千代田商事"),
        ("　ﾔﾏﾀﾞ　ﾀﾛｳ　", "ヤマダタロウ"),
        ("がぎぐげご", "ガギグゲゴ"),
        ("ﾊﾟﾝ", "パン"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_search_key_examples(raw: str, expected: str) -> None:
    assert search_key(raw) == expected


def test_search_key_composes_a_separated_voiced_mark() -> None:
    assert search_key("か ゙") == search_key("が")


def test_kana_key_sorts_by_reading() -> None:
    assert kana_key("やまだ たろう") == kana_key("ヤマダ　タロウ") == kana_key("ﾔﾏﾀﾞﾀﾛｳ")
    readings = ["たなか", "ｱｵｷ", "サトウ"]
    assert sorted(readings, key=kana_key) == ["ｱｵｷ", "サトウ", "たなか"]


@given(st.text())
def test_search_key_is_idempotent(text: str) -> None:
    key = search_key(text)
    assert search_key(key) == key
    assert not any(ch.isspace() for ch in key)


@given(katakana)
def test_search_key_ignores_katakana_width(text: str) -> None:
    half = jaconv.z2h(text)
    assert search_key(half) == search_key(text)
    assert search_key(jaconv.h2z(half)) == search_key(text)


@given(hiragana)
def test_search_key_ignores_hiragana_vs_katakana(text: str) -> None:
    assert search_key(jaconv.hira2kata(text)) == search_key(text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", 0),
        ("1234", 1234),
        ("１２３４", 1234),
        ("1,234,000", 1_234_000),
        ("１，２３４，０００", 1_234_000),
        (" 1 000 ", 1000),
        ("1000円", 1000),
        ("500万円", 5_000_000),
        ("500万", 5_000_000),
        ("1億2,000万", 120_000_000),
        ("1億2千万", 120_000_000),
        ("1億", 100_000_000),
        ("3千円", 3000),
        ("2千500", 2500),
        ("12,000万円", 120_000_000),
        ("1,500千円", 1_500_000),
        ("1億5万", 100_050_000),
        ("-1000", -1000),
        ("−1,000円", -1000),
        ("－１０００", -1000),
        ("-3千円", -3000),
        ("￥1,000", 1000),
        ("1,2,3", 123),
    ],
)
def test_parse_int(raw: str, expected: int) -> None:
    assert parse_int(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "abc",
        "1.5",
        "1.5万",
        "円",
        "-",
        "--1",
        "万",
        "億円",
        "千円",
        "1万1億",
        "1億億",
        "1万20000",
        "2千5000",
        "1億10000万",
        "1e3",
        "0x10",
        "1_000",
        "1万2千3百",
        "٣",
        "1000円円",
        "12a",
    ],
)
def test_parse_int_rejects_junk(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_int(raw)


@given(st.integers())
def test_parse_int_round_trips_plain_and_grouped(n: int) -> None:
    assert parse_int(str(n)) == n
    assert parse_int(f"{n:,}") == n


@given(st.integers(min_value=0, max_value=10**12))
def test_parse_int_reads_full_width_and_yen(n: int) -> None:
    assert parse_int(jaconv.h2z(f"{n:,}円", ascii=True, digit=True)) == n


@given(st.text())
def test_parse_int_raises_only_value_error(text: str) -> None:
    try:
        result = parse_int(text)
    except ValueError:
        return
    assert isinstance(result, int)


@given(st.text(alphabet="0123456789,，万億千円−-－ 　.¥￥abc１２３"))
def test_parse_int_raises_only_value_error_on_number_like_text(text: str) -> None:
    try:
        result = parse_int(text)
    except ValueError:
        return
    assert isinstance(result, int)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("03-1234-5678", "0312345678"),
        ("０３－１２３４－５６７８", "0312345678"),
        ("03ー1234ー5678", "0312345678"),
        ("03‐1234–5678", "0312345678"),
        ("03 1234 5678", "0312345678"),
        ("〒102-8688", "〒1028688"),
        ("1180-3010-18771", "1180301018771"),
        ("１１８０３０１０１８７７１", "1180301018771"),
        ("", ""),
    ],
)
def test_digits_only(raw: str, expected: str) -> None:
    assert digits_only(raw) == expected
