"""和暦 (Japanese era) dates, 年度 (April–March fiscal years) and yen/date display."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone


@dataclass(frozen=True, slots=True)
class Era:
    name: str
    initial: str
    first_day: date
    # 明治→大正 and 大正→昭和 changed on the day of succession, so those days belong to both eras:
    # era_of() gives the new era, parse_date() accepts either.
    last_day: date | None

    def year_of(self, d: date) -> int:
        return d.year - self.first_day.year + 1

    def contains(self, d: date) -> bool:
        return self.first_day <= d and (self.last_day is None or d <= self.last_day)


ERAS: tuple[Era, ...] = (
    # 明治 really starts on the lunar new year of 1868; dates that old never reach this app.
    Era("明治", "M", date(1868, 1, 1), date(1912, 7, 30)),
    Era("大正", "T", date(1912, 7, 30), date(1926, 12, 25)),
    Era("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
    Era("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    Era("令和", "R", date(2019, 5, 1), None),
)

_ERAS_BY_KEY = {key: era for era in ERAS for key in (era.name, era.initial)}
_ERA_ALTERNATIVES = "|".join(_ERAS_BY_KEY)

_WESTERN = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})", re.ASCII)
_WESTERN_KANJI = re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日?", re.ASCII)
_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})", re.ASCII)
_ERA_DATE = re.compile(
    rf"({_ERA_ALTERNATIVES})(元|[0-9]{{1,4}})"
    r"(?:年([0-9]{1,2})月([0-9]{1,2})日?|([-/.])([0-9]{1,2})\5([0-9]{1,2}))",
    re.ASCII,
)


def _era_at(d: date) -> Era:
    for era in reversed(ERAS):
        if era.first_day <= d:
            return era
    raise ValueError(f"{d.isoformat()} is before 明治")


def _year_label(year: int) -> str:
    return "元" if year == 1 else str(year)


def era_of(d: date) -> tuple[str, int]:
    """Return the era name and era year of d, e.g. ("令和", 1) for 2019-05-01."""
    era = _era_at(d)
    return era.name, era.year_of(d)


def wareki(d: date) -> str:
    """Return d in 和暦, e.g. "令和元年5月1日"."""
    name, year = era_of(d)
    return f"{name}{_year_label(year)}年{d.month}月{d.day}日"


def wareki_month(year: int, month: int) -> str:
    """Return the 和暦 label of a month, e.g. "令和8年10月", using the era of its first day."""
    first = date(year, month, 1)
    name, era_year = era_of(first)
    return f"{name}{_year_label(era_year)}年{month}月"


def fiscal_year(d: date) -> int:
    """Return the 年度 of d: the calendar year in which its April falls."""
    return d.year if d.month >= 4 else d.year - 1


def fiscal_year_range(fy: int) -> tuple[date, date]:
    """Return the first and last day of 年度 fy (1 April fy – 31 March fy+1)."""
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def wareki_fiscal_year(fy: int) -> str:
    """Return the 和暦 label of 年度 fy, e.g. "令和8年度"."""
    # The government renamed the whole of FY2019 令和元年度 although it began in 平成, while
    # FY1988 stayed 昭和63年度; the era in force at the end of calendar year fy gives both.
    name, year = era_of(date(fy, 12, 31))
    return f"{name}{_year_label(year)}年度"


def _western_date(year: str, month: str, day: str) -> date:
    return date(int(year), int(month), int(day))


def _era_date(era_key: str, year: str, month: str, day: str) -> date:
    era = _ERAS_BY_KEY[era_key]
    era_year = 1 if year == "元" else int(year)
    if era_year < 1:
        raise ValueError(f"{era.name}{era_year}年 does not exist")
    d = date(era.first_day.year + era_year - 1, int(month), int(day))
    if not era.contains(d):
        raise ValueError(f"{d.isoformat()} is not in {era.name}")
    return d


def parse_date(text: str) -> date:
    """Parse a typed date: ISO or slash/dot/年月日 western forms, or 和暦 such as "R8.10.1".

    Raises ValueError for anything else, for impossible dates and for era dates outside their era.
    """
    cleaned = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    if match := _WESTERN.fullmatch(cleaned):
        return _western_date(match[1], match[3], match[4])
    if match := _WESTERN_KANJI.fullmatch(cleaned):
        return _western_date(match[1], match[2], match[3])
    if match := _COMPACT.fullmatch(cleaned):
        return _western_date(match[1], match[2], match[3])
    if match := _ERA_DATE.fullmatch(cleaned):
        if match[3] is not None:
            return _era_date(match[1], match[2], match[3], match[4])
        return _era_date(match[1], match[2], match[6], match[7])
    raise ValueError(f"not a date: {text!r}")


def format_date(d: date | None, *, western: bool = False) -> str:
    """Return d for display: 和暦 by default, "2026/10/01" when western, "" for None."""
    if d is None:
        return ""
    if western or d < ERAS[0].first_day:
        return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"
    return wareki(d)


def format_yen(amount: int | None) -> str:
    """Return an amount as "1,234,000円" ("-1,000円" when negative), "" for None."""
    if amount is None:
        return ""
    return f"{amount:,}円"


JST = timezone(timedelta(hours=9), "JST")  # Japan has no daylight saving time


def japan_time(moment: datetime) -> datetime:
    """A stored UTC timestamp as Japan time, whatever the PC's own time zone."""
    return moment.astimezone(JST)


def japan_today() -> date:
    """Today's date in Japan (the ward's calendar), whatever the PC's own time zone."""
    return datetime.now(JST).date()


def full_years(since: date, today: date) -> int:
    """Whole years from ``since`` to ``today`` (年数, e.g. years in the ward)."""
    years = today.year - since.year
    if (today.month, today.day) < (since.month, since.day):
        years -= 1
    return max(years, 0)


_TIME = re.compile(r"(\d{1,2})(?:[:：時]\s*(\d{1,2})?分?|(\d{2}))?")


def parse_time(text: str) -> time:
    """A time as people type it: 10:30, 1030, 10時30分, 10時, ９：３０ (ValueError otherwise)."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    match = _TIME.fullmatch(cleaned)
    if not match or not cleaned:
        raise ValueError(text)
    hour = int(match.group(1))
    minute = int(match.group(2) or match.group(3) or 0)
    if match.group(3) is None and match.group(2) is None and len(match.group(1)) > 2:
        raise ValueError(text)
    return time(hour, minute)  # ValueError for 25:00 or 10:75
