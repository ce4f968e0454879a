"""Time an import of 100,000 business rows (issue 8: under 30 s), through ImportService.

Run on demand (never part of the test suite):

    .venv/bin/python benchmarks/import_businesses.py [--rows 100000] [--encoding cp932|utf-8-sig]
        [--folder /tmp/consult-desk-import-bench] [--existing 0]

A CSV of ``--rows`` businesses typed the way people type them (full-width digits, 「500万円」,
和暦 dates, 法人番号 with hyphens for some) is written to the folder, then imported into a new
database built by the migrations. ``--existing N`` first imports N of the rows, so that the timed
run also meets businesses already registered (skipped). Prints the time of each phase.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from consult_desk.db.engine import Database
from consult_desk.db.migrate import upgrade_to_head
from consult_desk.domain.corporate_number import make_corporate_number
from consult_desk.domain.permissions import SETUP
from consult_desk.services.imports import ImportOptions, ImportService

HEADER = (
    "事業者名",
    "フリガナ",
    "法人番号",
    "事業者区分",
    "業種",
    "郵便番号",
    "所在地",
    "電話番号",
    "メール",
    "代表者名",
    "代表者区分",
    "資本金",
    "従業員数",
    "設立日",
)
TOWNS = (
    ("神田小川町", "1010052"),
    ("丸の内", "1000005"),
    ("麹町", "1020083"),
    ("岩本町", "1010032"),
)
TRADES = (("商事", "ショウジ", "I"), ("印刷", "インサツ", "E"), ("食堂", "ショクドウ", "M"))
FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def write_csv(path: Path, rows: int, encoding: str, seed: int = 1) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            town, postal = rng.choice(TOWNS)
            trade, kana, jsic = rng.choice(TRADES)
            corporation = n % 4 != 0
            number = make_corporate_number(f"0100{'01'}{n:06d}") if corporation else ""
            if number and n % 3 == 0:
                number = f"{number[0]}-{number[1:5]}-{number[5:9]}-{number[9:]}"
            writer.writerow(
                (
                    f"千代田{trade}{n}",
                    f"チヨダ{kana}",
                    number,
                    "法人" if corporation else "個人事業主",
                    jsic,
                    f"{postal[:3]}-{postal[3:]}",
                    f"千代田区{town}{rng.randint(1, 3)}-{rng.randint(1, 20)}",
                    f"03-{rng.randint(3200, 6999)}-{rng.randint(0, 9999):04d}",
                    f"info{n}@example.jp" if n % 2 else "",
                    "山田 太郎",
                    rng.choice(("区民", "一般", "")),
                    rng.choice(("500万円", "1,000万", "３００万円", "")),
                    str(rng.randint(0, 80)).translate(FULL) if n % 5 == 0 else rng.randint(0, 80),
                    rng.choice(("令和2年4月1日", "R3.10.1", "2015/4/1", "2001-07-15")),
                )
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--encoding", default="cp932", choices=("cp932", "utf-8-sig", "utf-8"))
    parser.add_argument("--folder", type=Path, default=Path("/tmp/consult-desk-import-bench"))
    parser.add_argument("--existing", type=int, default=0)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    source = args.folder / f"businesses-{args.rows}.csv"
    started = time.perf_counter()
    write_csv(source, args.rows, args.encoding)
    print(
        f"wrote {source} ({source.stat().st_size / 1e6:.1f} MB)"
        f" in {time.perf_counter() - started:.1f} s"
    )
    database = args.folder / "bench.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    db = Database(f"sqlite:///{database}")
    upgrade_to_head(db.engine)
    service = ImportService(db, SETUP)
    if args.existing:
        head = args.folder / "existing.csv"
        with (
            source.open(encoding=args.encoding) as full,
            head.open("w", encoding=args.encoding) as part,
        ):
            for n, line in enumerate(full):
                if n > args.existing:
                    break
                part.write(line)
        service.run("businesses", head)
    started = time.perf_counter()
    table = service.read(source)
    read_s = time.perf_counter() - started
    marks: dict[str, float] = {}

    def progress(done: int, total: int) -> None:
        # The first half of ``total`` is checking the rows, the second writing them.
        now = time.perf_counter()
        marks.setdefault("first", now)
        if done >= total // 2:
            marks.setdefault("checked", now)
        marks["last"] = now

    started, cpu = time.perf_counter(), time.process_time()
    result = service.run("businesses", source, ImportOptions(), progress)
    run_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    load = os.getloadavg()[0]
    db.dispose()
    connection = sqlite3.connect(database)
    stored = connection.execute("SELECT COUNT(*) FROM business").fetchone()[0]
    connection.close()
    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}"
    )
    print(f"read only ({table.encoding_label}, {len(table.rows):,} rows): {read_s:.1f} s")
    print(
        f"import (read + check + insert, one transaction): {run_s:.1f} s wall, {cpu_s:.1f} s CPU"
        f" (load average {load:.1f} on {os.cpu_count()} CPUs) — added "
        f"{result.added:,}, skipped {result.skipped:,}, rejected {result.rejected:,}; "
        f"{stored:,} businesses stored"
    )
    print(
        f"  reading the file {marks['first'] - started:.1f} s, checking the rows "
        f"{marks['checked'] - marks['first']:.1f} s, writing and committing "
        f"{started + run_s - marks['checked']:.1f} s"
    )
    print("target: < 30 s for 100,000 rows", "ok" if run_s < 30 else "MISS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
