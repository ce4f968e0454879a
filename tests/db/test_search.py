"""Text search: FTS5 trigram (SQLite) or pg_trgm (PostgreSQL) for 3+ characters, LIKE for
shorter words.

The reference for "what should be found" is SQLite's plain LIKE over the stored text (as the
lists searched before the index existed), run word by word, written out in Python so that
the same expectations hold on both engines. Tests of the FTS5 tables themselves are marked
``sqlite_only``; those of the trigram indexes run only against PostgreSQL (``--db-url``).
"""

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.dialects import mysql, postgresql, sqlite

from consult_desk.db.engine import Database, make_engine
from consult_desk.db.migrate import upgrade_to_head
from consult_desk.db.models import Business as BusinessModel
from consult_desk.db.models import Consultation as ConsultationModel
from consult_desk.db.models import Staff as StaffModel
from consult_desk.db.models import StaffRole
from consult_desk.domain.businesses import BusinessInput, BusinessQuery
from consult_desk.domain.consultations import ConsultationInput, ConsultationQuery
from consult_desk.domain.permissions import Principal
from consult_desk.domain.text import digits_only, normalize, search_key
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.reference import ReferenceService
from consult_desk.services.search import (
    MIN_INDEXED_CHARS,
    business_text_condition,
    consultation_text_condition,
    fts_phrase,
)
from tests.engines import TestDatabases

TODAY = date(2026, 11, 28)

# 1, 2 and 3+ characters; FTS5 syntax and LIKE wildcards that must be searched literally.
QUERIES = (
    "資金繰り",
    "融資",
    "相",
    "神田青",
    "7000012050002",
    "７０００－０１２０５",
    "03-3264-2111",
    '"',
    '"AND"',
    "AND",
    "ＡＮＤ",
    "and",
    "*",
    "NEAR(",
    "near(a b)",
    "%",
    "_",
    "100%",
    "x_y",
    "a-b",
    "^青果",
    "神田 青果",
    "青果 神田",
    "資金 融資",
    "資金繰り 案内した",
    "セイカ ショテン",
    "相談 申込",
    "セイカ",
    "ｾｲｶ",
    "せいか",
    "ＡＢＣ",
    "abc",
    "zzzz",
    "case",
    "CASE",
    "ｃａｓｅ",
    "cA",
    "Ca",
    "ä",
    "Ä",
    "äö",
    "ÄÖ",
    "äpfel",
    "ÄPFEL",
    "öl",
    "und öl",
)

BUSINESSES = (
    BusinessInput(
        name="株式会社 神田青果",
        name_kana="カンダセイカ",
        corporate_number="7000012050002",
        phone="03-3264-2111",
        address="千代田区神田錦町1-2-3",
    ),
    BusinessInput(name="神田 書店", name_kana="カンダショテン", phone="03-5211-4111"),
    BusinessInput(name="ABC商事", name_kana="エービーシーショウジ"),
    BusinessInput(name='"AND" NEAR(a b) 企画', name_kana="アンドキカク"),
    BusinessInput(name="割引100%ストア", name_kana="ワリビキストア", address="x_y ビル"),
    BusinessInput(name="*スター* 青果", name_kana="スターセイカ"),
    BusinessInput(name="ちよだ融資相談室", name_kana="チヨダユウシソウダンシツ"),
    BusinessInput(name="a-b ^青果", name_kana="エービーセイカ"),
)

NOTES = (
    ("資金繰りの相談", "融資制度を案内した"),
    ("売上減少", "月次の資金繰り表を勧めた"),
    ('"AND" と NEAR( の話', "100% 確認、x_y を説明"),
    ("ABC商事との取引", "*重要* 融資の申込み"),
    ("相談なし", ""),
    ("神田青果の件", "特になし"),
    # Letter case: ASCII, other alphabets, full-width letters (stored NFKC-normalised).
    ("Mixed Case メモ", "Äpfel und Öl"),
    ("ＣＡＳＥ study", "ÄÖ äö"),
)


@pytest.fixture
def refs(db: Database, admin: Principal) -> ReferenceService:
    return ReferenceService(db)


def _channel(refs: ReferenceService) -> int:
    return int(next(c.id for c in refs.channels() if c.name == "窓口"))


def _add_consultation(
    db: Database, admin: Principal, refs: ReferenceService, summary: str, advice: str = ""
) -> int:
    return ConsultationService(db, admin).add(
        ConsultationInput(
            consulted_on=TODAY,
            channel_id=_channel(refs),
            staff_id=admin.staff_id or 0,
            prospect_name="相談者",
            summary=summary,
            advice=advice,
        ),
        today=TODAY,
    )


def _business_ids(db: Database, admin: Principal, text: str, **query: Any) -> set[int]:
    service = BusinessService(db, admin)
    found = {row.id for row in service.page(BusinessQuery(text=text, **query), limit=1000)}
    assert service.count(BusinessQuery(text=text, **query)) == len(found)
    return found


def _consultation_ids(db: Database, admin: Principal, text: str) -> set[int]:
    service = ConsultationService(db, admin)
    found = {row.id for row in service.page(ConsultationQuery(text=text), limit=1000)}
    assert service.count(ConsultationQuery(text=text)) == len(found)
    return found


def _ascii_lower(text: str) -> str:
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


def _like_businesses(db: Database, text: str) -> set[int]:
    """Plain LIKE, word by word: a word matches as its search key or as its bare digits.

    search_text and the keys are lower case already, so LIKE's case rule plays no part."""
    with db.read() as session:
        rows = session.execute(
            select(BusinessModel.id, BusinessModel.search_text).where(
                BusinessModel.deleted_at.is_(None)
            )
        ).all()
    found = {row.id for row in rows}
    for word in normalize(text).split():
        forms = [search_key(word)]
        if digits_only(word).isdigit():
            forms.append(digits_only(word))
        found &= {row.id for row in rows if any(form in row.search_text for form in forms)}
    return found


def _like_consultations(db: Database, text: str) -> set[int]:
    """What SQLite finds in summary and advice, word by word: a word of 3+ characters as an
    FTS5 trigram phrase (any letter case, every alphabet), a shorter one by LIKE (ASCII
    letters in either case, other characters exact). Notes are stored NFKC-normalised."""
    with db.read() as session:
        rows = session.execute(
            select(ConsultationModel.id, ConsultationModel.summary, ConsultationModel.advice)
        ).all()
    found = {row.id for row in rows}
    for word in normalize(text).split():
        fold = str.lower if len(word) >= MIN_INDEXED_CHARS else _ascii_lower
        key = fold(word)
        found &= {row.id for row in rows if key in fold(row.summary) or key in fold(row.advice)}
    return found


@contextmanager
def _statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _plan(db: Database, statement: str, parameters: Any) -> str:
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(row[3] for row in rows)


def _fts_ok(db: Database) -> None:
    """FTS5's own check; rank 1 also compares the external-content index with the table."""
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO business_fts(business_fts, rank) VALUES ('integrity-check', 1)"
        )
        connection.exec_driver_sql(
            "INSERT INTO consultation_fts(consultation_fts) VALUES ('integrity-check')"
        )


# --- businesses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ちよだ", {"ちよだ融資相談室"}),
        ("チヨダ", {"ちよだ融資相談室"}),
        ("ﾁﾖﾀﾞ", {"ちよだ融資相談室"}),
        ("ﾁﾖ", {"ちよだ融資相談室"}),  # 2 characters: the LIKE path
        ("ＡＢＣ", {"ABC商事"}),
        ("abc", {"ABC商事"}),
        ("ａｂ", {"ABC商事", '"AND" NEAR(a b) 企画'}),  # ab in "near(ab)" too
    ],
)
def test_business_search_ignores_width_kana_and_case(
    db: Database, admin: Principal, typed: str, expected: set[str]
) -> None:
    service = BusinessService(db, admin)
    for value in BUSINESSES:
        service.add(value)

    names = {row.name for row in service.page(BusinessQuery(text=typed))}

    assert names == expected


def test_business_search_finds_what_plain_like_finds(db: Database, admin: Principal) -> None:
    service = BusinessService(db, admin)
    for value in BUSINESSES:
        service.add(value)
    nonempty = 0

    for text in QUERIES:
        expected = _like_businesses(db, text)
        assert _business_ids(db, admin, text) == expected, text
        nonempty += bool(expected)

    assert nonempty >= 20  # the comparison is about real hits, not empty sets
    assert _business_ids(db, admin, "%") != _business_ids(db, admin, "")


def test_business_digits_match_with_hyphens_and_full_width(db: Database, admin: Principal) -> None:
    service = BusinessService(db, admin)
    a = service.add(BUSINESSES[0])
    service.add(BUSINESSES[1])

    for typed in (
        "7000012050002",
        "７０００－０１２０－５０００２",
        "03-3264-2111",
        "０３３２６４",
    ):
        assert _business_ids(db, admin, typed) == {a}, typed


def test_several_words_must_all_match(db: Database, admin: Principal) -> None:
    service = BusinessService(db, admin)
    seika = service.add(BUSINESSES[0])
    shoten = service.add(BUSINESSES[1])

    assert _business_ids(db, admin, "神田") == {seika, shoten}
    assert _business_ids(db, admin, "青果　神田") == {seika}  # in any order, full-width space
    assert _business_ids(db, admin, "カンダ 書店") == {shoten}
    assert _business_ids(db, admin, "神田 書店 青果") == set()
    assert _business_ids(db, admin, "カンダ セイカ") == {seika}  # two indexed words
    assert _business_ids(db, admin, "セイカ ショテン") == set()


@pytest.mark.sqlite_only
def test_business_index_follows_updates_archive_and_deletes(db: Database, admin: Principal) -> None:
    service = BusinessService(db, admin)
    business_id = service.add(BusinessInput(name="神田青果", name_kana="カンダセイカ"))
    version = service.get(business_id).version

    version = service.update(
        business_id, version, BusinessInput(name="九段精肉", name_kana="クダンセイニク")
    )

    assert _business_ids(db, admin, "神田青果") == set()
    assert _business_ids(db, admin, "カンダセイカ") == set()
    assert _business_ids(db, admin, "九段精肉") == {business_id}
    _fts_ok(db)

    version = service.archive(business_id, version)
    assert _business_ids(db, admin, "九段精肉") == set()
    assert _business_ids(db, admin, "九段精肉", archived=True) == {business_id}
    _fts_ok(db)

    service.delete(business_id, version)
    assert _business_ids(db, admin, "九段精肉", archived=None) == set()

    with db.engine.begin() as connection:  # a real DELETE (e.g. emptying the trash)
        connection.exec_driver_sql("DELETE FROM audit_log")
        connection.exec_driver_sql("DELETE FROM business WHERE id = ?", (business_id,))
        hits = connection.exec_driver_sql(
            "SELECT rowid FROM business_fts WHERE business_fts MATCH ?", (fts_phrase("九段精肉"),)
        ).all()
    assert hits == []
    _fts_ok(db)


# --- consultations ------------------------------------------------------------------------


def test_consultation_search_covers_summary_and_advice(
    db: Database, admin: Principal, refs: ReferenceService
) -> None:
    ids = [_add_consultation(db, admin, refs, s, a) for s, a in NOTES]

    assert _consultation_ids(db, admin, "資金繰り") == {ids[0], ids[1]}  # summary, advice
    assert _consultation_ids(db, admin, "案内した") == {ids[0]}  # advice only
    assert _consultation_ids(db, admin, "融資") == {ids[0], ids[3]}
    assert _consultation_ids(db, admin, "相談 融資制度") == {ids[0]}  # across the two fields
    assert _consultation_ids(db, admin, "資金繰り 案内した") == {ids[0]}
    assert _consultation_ids(db, admin, "ＡＢＣ商事") == {ids[3]}
    assert _consultation_ids(db, admin, "abc") == {ids[3]}


def test_consultation_search_finds_what_plain_like_finds(
    db: Database, admin: Principal, refs: ReferenceService
) -> None:
    for summary, advice in NOTES:
        _add_consultation(db, admin, refs, summary, advice)
    nonempty = 0

    for text in QUERIES:
        expected = _like_consultations(db, text)
        assert _consultation_ids(db, admin, text) == expected, text
        nonempty += bool(expected)

    assert nonempty >= 12


@pytest.mark.sqlite_only
def test_consultation_index_follows_updates_and_deletes(
    db: Database, admin: Principal, refs: ReferenceService
) -> None:
    service = ConsultationService(db, admin)
    consultation_id = _add_consultation(db, admin, refs, "資金繰りの相談", "融資を案内")
    old = service.get(consultation_id)

    version = service.update(
        consultation_id,
        old.version,
        replace(old.input, summary="販路拡大の相談", advice="展示会を提案"),
        today=TODAY,
    )

    assert _consultation_ids(db, admin, "資金繰り") == set()
    assert _consultation_ids(db, admin, "販路拡大") == {consultation_id}
    assert _consultation_ids(db, admin, "展示会") == {consultation_id}
    version = service.mark_done(consultation_id, version, "済み", on=TODAY)
    assert _consultation_ids(db, admin, "展示会") == {consultation_id}
    _fts_ok(db)

    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "DELETE FROM consultation_topic_link WHERE consultation_id = ?", (consultation_id,)
        )
        connection.exec_driver_sql(
            "DELETE FROM consultation_initiative WHERE consultation_id = ?", (consultation_id,)
        )
        connection.exec_driver_sql("DELETE FROM consultation WHERE id = ?", (consultation_id,))
        left = connection.exec_driver_sql("SELECT count(*) FROM consultation_fts").scalar()
    assert left == 0
    _fts_ok(db)


def test_full_width_letters_typed_into_a_note_are_found(
    db: Database, admin: Principal, refs: ReferenceService
) -> None:
    consultation_id = _add_consultation(db, admin, refs, "ＸＹＺ商事の件")

    assert _consultation_ids(db, admin, "XYZ商事") == {consultation_id}


def test_postgresql_finds_what_sqlite_finds(
    db: Database, admin: Principal, databases: TestDatabases, tmp_path: Path
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("compares PostgreSQL (--db-url) with SQLite")
    lite = Database(databases.sqlite(tmp_path))
    try:
        with lite.write() as session:  # the same administrator, so both get the same ids
            staff = StaffModel(login="admin", name="管理 太郎", name_kana="カンリ タロウ")
            staff.roles.append(StaffRole(role="admin"))
            session.add(staff)
        assert staff.id == admin.staff_id
        for database in (db, lite):
            refs = ReferenceService(database)
            for value in BUSINESSES:
                BusinessService(database, admin).add(value)
            for summary, advice in NOTES:
                _add_consultation(database, admin, refs, summary, advice)
        hits = 0

        for text in QUERIES:
            on_sqlite = _business_ids(lite, admin, text)
            assert _business_ids(db, admin, text) == on_sqlite, text
            found = _consultation_ids(lite, admin, text)
            assert _consultation_ids(db, admin, text) == found, text
            hits += len(on_sqlite) + len(found)

        assert hits >= 50
    finally:
        lite.dispose()


@pytest.mark.parametrize(
    ("kind", "text", "index"),
    [
        ("business", "神田青果", "ix_business_search_text_trgm"),
        ("consultation", "資金繰り", "ix_consultation_summary_trgm"),
        ("consultation", "資金繰り", "ix_consultation_advice_trgm"),
    ],
)
def test_postgresql_long_words_can_use_the_trigram_indexes(
    db: Database, admin: Principal, refs: ReferenceService, kind: str, text: str, index: str
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL (--db-url) only")
    for value in BUSINESSES:
        BusinessService(db, admin).add(value)
    for summary, advice in NOTES:
        _add_consultation(db, admin, refs, summary, advice)
    if kind == "business":
        stmt = select(BusinessModel.id).where(business_text_condition(text))
    else:
        stmt = select(ConsultationModel.id).where(consultation_text_condition(text))

    with db.engine.connect() as connection:
        # A handful of rows: the planner would rather scan the table; forbid that to see
        # whether the trigram index can serve the condition.
        connection.exec_driver_sql("SET enable_seqscan = off")
        sql = stmt.compile(connection, compile_kwargs={"literal_binds": True})
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))
        found = set(connection.execute(stmt).scalars())
    assert index in plan, plan
    assert found  # and it finds something


# --- how the queries run ------------------------------------------------------------------


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("kind", "text", "index"),
    [
        ("business", "神田青果", True),
        ("business", "神田", False),
        ("consultation", "資金繰り", True),
        ("consultation", "融資", False),
    ],
)
def test_three_characters_or_more_use_the_fts_index(
    db: Database, admin: Principal, kind: str, text: str, index: bool
) -> None:
    with _statements(db) as seen:
        if kind == "business":
            BusinessService(db, admin).page(BusinessQuery(text=text))
            BusinessService(db, admin).count(BusinessQuery(text=text))
        else:
            ConsultationService(db, admin).page(ConsultationQuery(text=text))
            ConsultationService(db, admin).count(ConsultationQuery(text=text))
    selects = [s for s in seen if s[0].lstrip().upper().startswith("SELECT")]
    page, count = selects[-2], selects[-1]  # (a consultation page first counts the hits)

    for statement, parameters in (page, count):
        assert (f"{kind}_fts VIRTUAL TABLE" in _plan(db, statement, parameters)) is index
    # The hits are looked up by id, not checked row by row over the whole table: the IN must
    # reach the planner as a plain condition (not as "(… IN …) = 1").
    count_plan = _plan(db, *count)
    assert ("USING INTEGER PRIMARY KEY (rowid=?)" in count_plan) is index, count_plan


@pytest.mark.parametrize("dialect", [postgresql.dialect(), mysql.dialect()])
def test_other_engines_never_see_the_fts5_tables(dialect: Any) -> None:
    for condition in (
        business_text_condition("神田青果 03-3264"),
        consultation_text_condition("資金繰り 融資"),
    ):
        stmt = select(BusinessModel.id, ConsultationModel.id).where(condition)
        sql = str(stmt.compile(dialect=dialect))
        assert "_fts" not in sql and "MATCH" not in sql.upper()
        assert "LIKE" in sql


def test_postgresql_matches_long_words_like_fts5_and_short_words_like_sqlite() -> None:
    stmt = select(ConsultationModel.id).where(consultation_text_condition("資金繰り Ab"))
    sql = str(stmt.compile(dialect=postgresql.dialect()))
    # The long word: NFKC-normalised text in any letter case (the trigram indexes' expression).
    assert "normalize(consultation.summary, NFKC) ILIKE" in sql
    assert "normalize(consultation.advice, NFKC) ILIKE" in sql
    # The short word: ASCII letters folded, as SQLite's LIKE does.
    assert "translate(consultation.summary" in sql
    assert "translate(consultation.advice" in sql
    # Other engines: LIKE as written.
    other = str(stmt.compile(dialect=mysql.dialect()))
    assert "normalize" not in other and "translate" not in other


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()])
def test_the_condition_keeps_its_or_inside_an_and(dialect: Any) -> None:
    # One word, two LIKEs joined by OR (search key and digits; summary and advice): next to
    # the other filters it must stay in parentheses, or "archived AND a OR b" lets b through.
    for model, condition in (
        (BusinessModel, business_text_condition("03-3264")),
        (ConsultationModel, consultation_text_condition("資金繰り")),
    ):
        stmt = select(model.id).where(model.archived.is_(False), condition)
        where = str(stmt.compile(dialect=dialect)).split("WHERE", 1)[1]
        # Everything after the archive filter is one parenthesised group.
        assert re.fullmatch(r" \S+ IS (0|false) AND \(.*\)", where, re.DOTALL), where
        assert " OR " in where or "MATCH" in where, where


def test_blank_text_adds_no_condition() -> None:
    assert business_text_condition("  \u3000 ") is None
    assert consultation_text_condition("") is None


def test_cached_statements_take_the_new_words(db: Database, admin: Principal) -> None:
    # The same statement shape twice: SQLAlchemy's compiled cache must bind the new text.
    service = BusinessService(db, admin)
    seika = service.add(BUSINESSES[0])
    shoten = service.add(BUSINESSES[1])

    assert _business_ids(db, admin, "神田青果") == {seika}
    assert _business_ids(db, admin, "神田書店") == {shoten}
    assert _business_ids(db, admin, "カンダセイカ") == {seika}


# --- migration ----------------------------------------------------------------------------


def _fill_revision_0003(path: Path) -> None:
    raw = sqlite3.connect(path)
    with raw:
        raw.execute(
            "INSERT INTO staff (id, login, name, name_kana, active, failed_sign_ins,"
            " loan_amount_grant, created_at, updated_at, version) VALUES (1, 'sato', '佐藤',"
            " 'サトウ', 1, 0, 0, '2026-04-01 00:00:00', '2026-04-01 00:00:00', 1)"
        )
        raw.execute(
            "INSERT INTO business (id, kind, name, name_kana, sort_key, search_text,"
            " corporate_number, sme_status, postal_code, area, address, phone, email,"
            " representative_name, representative_address, representative_phone, chokai_name,"
            " summary, archived, created_at, updated_at, version) VALUES (1, 'corporation',"
            " '神田青果', 'カンダセイカ', 'カンダセイカ', '神田青果 カンダセイカ 7000012050002',"
            " '7000012050002', '判定不可', '', '未設定', '', '', '', '', '', '', '', '', 0,"
            " '2026-04-01 00:00:00', '2026-04-01 00:00:00', 1)"
        )
        for n, (summary, advice) in enumerate(
            [("ＡＢＣ商事の資金繰り", "融資を案内"), ("売上の相談", "特になし")], start=1
        ):
            raw.execute(
                "INSERT INTO consultation (id, consulted_on, channel_id, staff_id, business_id,"
                " prospect_name, prospect_contact, summary, advice, referrals, next_action,"
                " done, done_note, archived, created_at, updated_at, version) VALUES (?,"
                " '2026-05-01', 1, 1, 1, '', '', ?, ?, '', '', 0, '', 0,"
                " '2026-05-01 00:00:00', '2026-05-01 00:00:00', 1)",
                (n, summary, advice),
            )
    raw.close()


@pytest.mark.sqlite_only
def test_upgrade_indexes_the_rows_of_an_older_database(tmp_path: Path, admin: Principal) -> None:
    path = tmp_path / "old.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine, "0003")
    _fill_revision_0003(path)

    upgrade_to_head(engine)

    db = Database(f"sqlite:///{path}", engine)
    assert _business_ids(db, admin, "カンダセイカ") == {1}
    assert _business_ids(db, admin, "７０００－０１２０５") == {1}
    assert _consultation_ids(db, admin, "資金繰り") == {1}
    # Indexed NFKC-normalised: the full-width letters of the old note match typed ASCII.
    assert _consultation_ids(db, admin, "ABC商事") == {1}
    assert _consultation_ids(db, admin, "相談") == {2}
    _fts_ok(db)
    with engine.connect() as connection:
        triggers = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%fts%'"
            " ORDER BY name"
        ).scalars()
        assert list(triggers) == [
            "business_fts_ad",
            "business_fts_ai",
            "business_fts_au",
            "consultation_fts_ad",
            "consultation_fts_ai",
            "consultation_fts_au",
        ]
    engine.dispose()


@pytest.mark.sqlite_only
def test_very_common_words_walk_the_date_index_and_find_the_same_rows(
    db: Database, admin: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consult_desk.services import consultations as consultations_module

    service = ConsultationService(db, admin)
    channel = int(ReferenceService(db).channels()[0].id)
    for day in range(1, 9):
        service.add(
            ConsultationInput(
                consulted_on=date(2026, 11, day),
                channel_id=channel,
                staff_id=admin.staff_id or 0,
                prospect_name="A",
                summary=f"資金繰りの相談 その{day}",
            ),
            today=date(2026, 11, 28),
        )
    query = ConsultationQuery(text="資金繰り")
    by_hits = [r.id for r in service.page(query, limit=5)]

    monkeypatch.setattr(consultations_module, "WALK_DATES_ABOVE", 0)  # every word is common
    with _statements(db) as seen:
        walked = [r.id for r in service.page(query, limit=5)]
    page_sql, parameters = [s for s in seen if "ORDER BY" in s[0]][-1]

    assert walked == by_hits
    assert "+consultation.id IN" in page_sql
    plan = _plan(db, page_sql, parameters)
    assert "SCAN consultation USING INDEX ix_consultation_consulted_on_id" in plan, plan
    assert "SEARCH consultation USING INTEGER PRIMARY KEY" not in plan
