"""Normalisation of typed Japanese text: stored values, search keys, numbers, digit strings."""

import re
import unicodedata

import jaconv

# After NFKC, full-width －, ‐ variants and the half-width ｰ have become one of these; ー is
# included because an IME in full-width mode gives 03ー1234ー5678 when people type a phone number.
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\ufe58\ufe63")

_MINUS_SIGNS = frozenset("-\u2212")

_UNITS = (("億", 100_000_000), ("万", 10_000), ("", 1))
_SECTION = re.compile(r"(?:([0-9]+)千)?([0-9]*)", re.ASCII)

# A handful of passes always reaches the fixed point in practice; the bound keeps a pathological
# string from looping forever.
_MAX_KEY_PASSES = 4


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def normalize(text: str) -> str:
    """Return text as it should be stored: NFKC, trimmed, inner whitespace runs as one space."""
    return " ".join(_nfkc(text).split())


def normalize_lines(text: str) -> str:
    """NFKC for multi-line notes: each line normalised and trimmed, line breaks kept."""
    lines = [" ".join(_nfkc(line).split()) for line in text.strip().splitlines()]
    return "\n".join(lines).strip()


def _key_pass(text: str) -> str:
    folded = jaconv.hira2kata(_nfkc(text)).casefold()
    # Removing spaces can bring a combining mark next to its base (か + U+309B → カ + U+3099),
    # and casefold can leave non-NFKC sequences, so normalise once more at the end.
    return _nfkc("".join(folded.split()))


def search_key(text: str) -> str:
    """Return the key used for stored search/sort columns and typed queries alike.

    Width-, kana- and case-insensitive, with all whitespace removed.
    """
    key = _key_pass(text)
    for _ in range(_MAX_KEY_PASSES):
        again = _key_pass(key)
        if again == key:
            break
        key = again
    return key


def kana_key(reading: str) -> str:
    """Return the sort key for a フリガナ reading (the same as search_key)."""
    return search_key(reading)


def _parse_section(text: str) -> int:
    match = _SECTION.fullmatch(text)
    if match is None or not text:
        raise ValueError
    thousands, rest = match.groups()
    if thousands is None:
        return int(rest)
    # 「2千5000」 is a typo, not 7000. The digits before 千 are not capped: 「1,500千円」 in
    # accounts means 1,500,000 yen, and parse_int rejects an oversized non-leading section.
    if len(rest) > 3:
        raise ValueError
    return int(thousands) * 1000 + (int(rest) if rest else 0)


def parse_int(text: str) -> int:
    """Parse an integer as people type it (「１，２００」, 「500万円」, 「1億2,000万」, 「−3千円」).

    Raises ValueError for empty input, decimals and anything else that is not a whole number.
    """
    cleaned = "".join(_nfkc(text).split()).replace(",", "")
    sign = 1
    if cleaned[:1] in _MINUS_SIGNS:
        sign = -1
        cleaned = cleaned[1:]
    cleaned = cleaned.removeprefix("¥").removesuffix("円")
    if not cleaned:
        raise ValueError

    total = 0
    previous_unit: int | None = None
    for unit_char, unit in _UNITS:
        if unit_char:
            head, found, rest = cleaned.partition(unit_char)
            if not found:
                continue
            cleaned = rest
        elif cleaned:
            head = cleaned
        else:
            break
        value = _parse_section(head) * unit
        # 「1億2,000万」 is fine, 「1万20000」 is a typo rather than 30,000.
        if previous_unit is not None and value >= previous_unit:
            raise ValueError
        total += value
        previous_unit = unit
    return sign * total


def digits_only(text: str) -> str:
    """Return text with NFKC applied and hyphens, dashes and whitespace removed.

    For phone numbers, postal codes and 法人番号; other characters are kept so the caller's
    validation can reject them.
    """
    return "".join(ch for ch in _nfkc(text) if ch not in _DASHES and not ch.isspace())
