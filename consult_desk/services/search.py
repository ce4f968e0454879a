"""Text search: the one place that turns what the user typed into SQL conditions.

- The typed text is split into words at whitespace; every word must match (AND). A word
  matches where the stored, normalised text contains it: anywhere in ``business.search_text``
  for businesses, in ``summary`` or ``advice`` for consultations.
- Words are normalised with the functions the stored text uses: ``search_key`` (width, kana,
  case) for businesses, ``normalize`` (NFKC) for consultations. A business word typed as a
  number with hyphens or full-width digits (法人番号, phone) also matches its bare digits.
- On SQLite, words of 3 or more characters go through the FTS5 trigram indexes of migration
  0004 (``business_fts``, ``consultation_fts``) as quoted phrases, so typed FTS syntax
  (``"``, ``*``, ``AND``, ``NEAR(``) is searched for literally. Trigram MATCH finds nothing
  for 1–2 characters, so shorter words use LIKE (a scan; LIMIT keeps the first page fast).
  Other engines use LIKE for every word until they get a trigram index of their own.
- LIKE's own wildcards (``%``, ``_``) are escaped: they, too, are searched for literally.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    and_,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import Grouping
from sqlalchemy.sql.visitors import InternalTraversal

from consult_desk.db.models import Business, Consultation
from consult_desk.domain.text import digits_only, normalize, search_key
from consult_desk.services.paging import like_pattern

# The trigram tokenizer's window: shorter words cannot use the index.
MIN_INDEXED_CHARS = 3

_business_fts = table("business_fts", column("rowid"), column("business_fts"))
_consultation_fts = table("consultation_fts", column("rowid"), column("consultation_fts"))


def fts_phrase(term: str) -> str:
    """``term`` as one FTS5 phrase: a string in double quotes, inner quotes doubled.

    Inside quotes every character is literal, so no typed text is read as FTS syntax.
    """
    return '"' + term.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class _Word:
    """One typed word and the forms of it that count as a match (any one suffices)."""

    forms: tuple[str, ...]

    @property
    def indexed(self) -> bool:
        return all(len(form) >= MIN_INDEXED_CHARS for form in self.forms)

    def fts_query(self) -> str:
        phrases = [fts_phrase(form) for form in self.forms]
        return phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")"


def business_words(text: str) -> list[tuple[str, ...]]:
    """The words of a typed business query, each as its match forms (key, then digits)."""
    words = []
    for raw in normalize(text).split():
        key = search_key(raw)
        if not key:
            continue
        forms = [key]
        digits = digits_only(raw)
        if digits.isdigit() and digits != key:
            forms.append(digits)
        words.append(tuple(forms))
    return words


def consultation_words(text: str) -> list[str]:
    """The words of a typed consultation query, NFKC-normalised."""
    return normalize(text).split()


class _ByDialect(ColumnElement[bool]):
    """A condition written one way for SQLite (with its FTS5 tables) and another for the rest.

    The engine is only known when the statement is compiled, so the choice is made there;
    ``_conditions`` in the services stays engine-agnostic.
    """

    inherit_cache = True
    type = Boolean()
    # A comparison, not a boolean column: without this SQLite gets "(… IN (…)) = 1", which
    # hides the IN from the planner (a full scan instead of rowid look-ups).
    _is_implicitly_boolean = True
    _traverse_internals = [  # noqa: RUF012  (SQLAlchemy reads it from the class)
        ("sqlite", InternalTraversal.dp_clauseelement),
        ("other", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, sqlite: ColumnElement[bool], other: ColumnElement[bool]) -> None:
        self.sqlite = sqlite
        self.other = other

    @property
    def _from_objects(self) -> list[Any]:
        return self.other._from_objects


@compiles(_ByDialect)
def _compile_by_dialect(element: _ByDialect, compiler: SQLCompiler, **kw: Any) -> str:
    chosen = element.sqlite if compiler.dialect.name == "sqlite" else element.other
    # In parentheses: the enclosing AND/NOT cannot see inside, and "a AND b OR c" would
    # bind the other way.
    return compiler.process(Grouping(chosen), **kw)


def _condition(
    words: Sequence[_Word],
    fts_match: Callable[[str], ColumnElement[bool]],
    like: Callable[[str], ColumnElement[bool]],
) -> ColumnElement[bool] | None:
    if not words:
        return None
    everywhere = and_(*(or_(*(like(form) for form in word.forms)) for word in words))
    indexed = [word for word in words if word.indexed]
    if not indexed:
        return everywhere
    # One MATCH for all long words (FTS5 intersects the hits itself), LIKE for the rest.
    found = [fts_match(" AND ".join(word.fts_query() for word in indexed))]
    found += [or_(*(like(form) for form in w.forms)) for w in words if w not in indexed]
    return _ByDialect(and_(*found), everywhere)


def business_text_condition(text: str) -> ColumnElement[bool] | None:
    """Businesses whose search text contains every typed word; None for blank text."""
    b = Business

    def fts_match(query: str) -> ColumnElement[bool]:
        hits = select(_business_fts.c.rowid).where(
            _business_fts.c.business_fts.op("MATCH")(literal(query))
        )
        return b.id.in_(hits)

    def like(form: str) -> ColumnElement[bool]:
        return b.search_text.like(like_pattern(form), escape="\\")

    return _condition([_Word(forms) for forms in business_words(text)], fts_match, like)


# Above this many index hits, the newest page is found faster by walking the date index and
# testing each row against the hits than by sorting every hit (measured at 1M consultations:
# 「資金繰り」 with 88,843 hits, 192 ms → 68 ms; a rare word stays with the hit list).
WALK_DATES_ABOVE = 5_000


def consultation_fts_hits(session: Session, text: str) -> int | None:
    """How many consultations the full-text index matches for the typed words (SQLite, with a
    word of three or more characters), else None. Cheap: the index answers alone."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    indexed = [w for w in (_Word((word,)) for word in consultation_words(text)) if w.indexed]
    if not indexed:
        return None
    query = " AND ".join(word.fts_query() for word in indexed)
    stmt = (
        select(func.count())
        .where(_consultation_fts.c.consultation_fts.op("MATCH")(literal(query)))
        .select_from(_consultation_fts)
    )
    return session.execute(stmt).scalar_one()


def consultation_text_condition(
    text: str, *, walk_dates: bool = False
) -> ColumnElement[bool] | None:
    """Consultations whose summary or advice contains every typed word; None for blank text.

    ``walk_dates``: for very common words, keep SQLite from driving the query by the hit list
    (the unary ``+`` makes the id unusable as an index key), so it walks the date index.
    """
    c = Consultation

    def fts_match(query: str) -> ColumnElement[bool]:
        hits = select(_consultation_fts.c.rowid).where(
            _consultation_fts.c.consultation_fts.op("MATCH")(literal(query))
        )
        key = literal_column("+consultation.id") if walk_dates else c.id
        return key.in_(hits)

    def like(form: str) -> ColumnElement[bool]:
        pattern = like_pattern(form)
        return or_(c.summary.like(pattern, escape="\\"), c.advice.like(pattern, escape="\\"))

    return _condition([_Word((word,)) for word in consultation_words(text)], fts_match, like)
