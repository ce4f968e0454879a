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
- On PostgreSQL the same words use the pg_trgm GIN indexes of migration 0008 with
  LIKE/ILIKE, written to find exactly what SQLite finds: a long word is matched like an FTS5
  phrase (in the NFKC-normalised text, any letter case), a short one like SQLite's LIKE
  (ASCII letters in either case). The engine-specific SQL lives in ``db/dialect.py``.
- Other engines use LIKE for every word.
- LIKE's own wildcards (``%``, ``_``) are escaped: they, too, are searched for literally.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import Session

from consult_desk.db.dialect import (
    ByDialect,
    fts5_count,
    fts5_hits,
    like_ascii_ci,
    trigram_contains,
    unary_plus,
)
from consult_desk.db.models import Business, Consultation
from consult_desk.domain.text import digits_only, normalize, search_key
from consult_desk.services.paging import like_pattern

# The trigram tokenizer's window: shorter words cannot use the index.
MIN_INDEXED_CHARS = 3


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


def _condition(
    words: Sequence[_Word],
    fts_match: Callable[[str], ColumnElement[bool]],
    like: Callable[[str], ColumnElement[bool]],
    trigram: Callable[[str], ColumnElement[bool]] | None = None,
) -> ColumnElement[bool] | None:
    """Every word must match: on SQLite long words through one FTS5 MATCH, on PostgreSQL
    through ``trigram`` (when given), elsewhere and for short words through ``like``."""
    if not words:
        return None
    everywhere = and_(*(or_(*(like(form) for form in word.forms)) for word in words))
    indexed = [word for word in words if word.indexed]
    if not indexed:
        return everywhere
    short = [or_(*(like(form) for form in w.forms)) for w in words if w not in indexed]
    # One MATCH for all long words (FTS5 intersects the hits itself), LIKE for the rest.
    on_sqlite = and_(fts_match(" AND ".join(w.fts_query() for w in indexed)), *short)
    on_postgresql = None
    if trigram is not None:
        on_postgresql = and_(*(or_(*(trigram(f) for f in w.forms)) for w in indexed), *short)
    return ByDialect(everywhere, sqlite=on_sqlite, postgresql=on_postgresql)


def business_text_condition(text: str) -> ColumnElement[bool] | None:
    """Businesses whose search text contains every typed word; None for blank text."""
    b = Business

    def fts_match(query: str) -> ColumnElement[bool]:
        return b.id.in_(fts5_hits("business_fts", query))

    def like(form: str) -> ColumnElement[bool]:
        # search_text and the typed forms are both lower case (search_key): a plain LIKE
        # means the same on every engine, and PostgreSQL's trigram index serves it.
        return b.search_text.like(like_pattern(form), escape="\\")

    return _condition([_Word(forms) for forms in business_words(text)], fts_match, like, like)


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
    return fts5_count(session, "consultation_fts", " AND ".join(w.fts_query() for w in indexed))


def consultation_text_condition(
    text: str, *, walk_dates: bool = False
) -> ColumnElement[bool] | None:
    """Consultations whose summary or advice contains every typed word; None for blank text.

    ``walk_dates``: for very common words, keep SQLite from driving the query by the hit list
    (the unary ``+`` makes the id unusable as an index key), so it walks the date index.
    """
    c = Consultation

    def fts_match(query: str) -> ColumnElement[bool]:
        key = unary_plus("consultation.id") if walk_dates else c.id
        return key.in_(fts5_hits("consultation_fts", query))

    def like(form: str) -> ColumnElement[bool]:
        pattern = like_pattern(form)
        return or_(like_ascii_ci(c.summary, pattern), like_ascii_ci(c.advice, pattern))

    def trigram(form: str) -> ColumnElement[bool]:
        # The FTS5 table holds NFKC-normalised copies and ignores letter case: so does this.
        pattern = like_pattern(form)
        return or_(
            trigram_contains(c.summary, pattern, normalized=False),
            trigram_contains(c.advice, pattern, normalized=False),
        )

    words = [_Word((word,)) for word in consultation_words(text)]
    return _condition(words, fts_match, like, trigram)
