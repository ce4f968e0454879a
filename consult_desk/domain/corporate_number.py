"""法人番号 (Corporate Number): normalisation and the NTA check-digit rule."""

from consult_desk.domain.text import digits_only

LENGTH_ERROR = "corporate_number.length"
CHECK_DIGIT_ERROR = "corporate_number.check_digit"

_DIGITS = frozenset("0123456789")


def _is_ascii_digits(text: str, length: int) -> bool:
    # str.isdigit() would also accept ２ or ٣, which int() then silently reads.
    return len(text) == length and set(text) <= _DIGITS


def normalize_corporate_number(text: str) -> str:
    """Return the number as typed with full-width digits, hyphens and spaces normalised away."""
    return digits_only(text)


def check_digit(base12: str) -> int:
    """Return the check digit (1–9) for a 12-digit base.

    財務省令「法人番号の指定等に関する省令」第2条: 9 − (Σ Pn·Qn mod 9), Pn the n-th digit from
    the right, Qn 1 for odd n and 2 for even n.
    """
    if not _is_ascii_digits(base12, 12):
        raise ValueError(f"expected 12 digits, got {base12!r}")
    weighted = sum(
        int(digit) * (1 if n % 2 else 2) for n, digit in enumerate(reversed(base12), start=1)
    )
    return 9 - weighted % 9


def corporate_number_error(text: str) -> str | None:
    """Return None if text is a valid 法人番号 after normalisation, else a stable error code."""
    number = normalize_corporate_number(text)
    if not _is_ascii_digits(number, 13):
        return LENGTH_ERROR
    if int(number[0]) != check_digit(number[1:]):
        return CHECK_DIGIT_ERROR
    return None


def is_valid_corporate_number(text: str) -> bool:
    """Return whether text is a valid 法人番号 after normalisation."""
    return corporate_number_error(text) is None


def make_corporate_number(base12: str) -> str:
    """Return the 13-digit 法人番号 for a 12-digit base (its check digit prepended)."""
    return f"{check_digit(base12)}{base12}"
