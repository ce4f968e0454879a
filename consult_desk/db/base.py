"""Declarative base with a naming convention, and the column types shared by all models."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and read back as an aware UTC datetime.

    SQLite has no time zones and PostgreSQL's ``timestamptz`` converts on read;
    storing naive UTC behaves the same on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Rate(TypeDecorator[Decimal]):
    """An exact percentage, stored as an integer number of 1/10,000 percent.

    1.6 % is stored as 16000. Integers are exact on every engine, while SQLite
    would turn NUMERIC into binary floating point.
    """

    impl = Integer
    cache_ok = True
    SCALE = 10_000

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value) * self.SCALE
        if scaled != scaled.to_integral_value():
            raise ValueError(f"rate {value} has more than 4 decimal places")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value) / self.SCALE


def utcnow() -> datetime:
    return datetime.now(UTC)
