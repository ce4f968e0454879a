"""The PDF renderer: only the bundled font (embedded), Japanese text and figures that copy out,
tables split with their header repeated, 和暦/西暦, lacking glyphs reported, output invariant."""

import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from consult_desk.domain.fiscal import JST
from consult_desk.reports.document import (
    Chart,
    Column,
    Document,
    Facts,
    RenderOptions,
    Section,
    Series,
    Table,
    Text,
)
from consult_desk.reports.fonts import missing_glyphs
from consult_desk.reports.pdf import (
    REPLACEMENT,
    _continued_labels,
    format_cell,
    period_text,
    render_pdf,
)

OPTIONS = RenderOptions(
    generated_at=datetime(2026, 11, 2, 9, 5, tzinfo=JST), generated_by="山田 花子"
)
GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden" / "small_report.pdf"
REGENERATE = "CONSULT_DESK_REGENERATE_GOLDEN"

poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")


def _document(*sections: Section, landscape: bool = False) -> Document:
    return Document(
        kind="monthly",
        title="月次報告",
        subject="令和8年10月",
        period_from=date(2026, 10, 1),
        period_to=date(2026, 10, 31),
        sections=sections,
        landscape=landscape,
    )


def _small() -> Document:
    channels = ("窓口", "電話", "メール")
    return _document(
        Section(
            "相談の状況",
            (
                Facts((("相談件数", 1_234_567), ("融資 実行額（円）", None)), title="主な数値"),
                Table(
                    (
                        Column("相談方法", weight=2),
                        Column("当月", numeric=True),
                        Column("前年同月", numeric=True),
                    ),
                    (("窓口", 12, 10), ("電話", 3, 4), ("メール", 0, 1), ("合計", 15, 15)),
                    title="相談方法別",
                    total_row=True,
                ),
                Chart(
                    "bar",
                    channels,
                    (Series("当月", (12, 3, 0)), Series("前年同月", (10, 4, 1))),
                    title="相談方法別のグラフ",
                ),
                Text("件数は相談日で数えています。\n取り消した相談は数えません。", title="注記"),
            ),
        )
    )


def _long_table(rows: int = 200) -> Section:
    return Section(
        "融資あっせんの明細",
        (
            Table(
                (
                    Column("受付日", weight=1.2),
                    Column("事業者名", weight=3),
                    Column("金額（円）", numeric=True, weight=1.4),
                ),
                tuple(
                    (date(2026, 10, 1) + timedelta(days=n % 31), f"試験商事{n:03d}", n * 10_001)
                    for n in range(rows)
                ),
                title="一覧",
            ),
        ),
    )


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _text(tmp_path: Path, data: bytes, *pages: int) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    span = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    return _run("pdftotext", "-layout", *span, str(path), "-")


def _pages(tmp_path: Path, data: bytes) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(data)
    match = re.search(r"^Pages:\s+(\d+)", _run("pdfinfo", str(path)), re.MULTILINE)
    assert match is not None
    return int(match[1])


@poppler
def test_every_font_is_the_bundled_one_embedded_as_a_subset(tmp_path: Path) -> None:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(render_pdf(_document(_long_table(30), *_small().sections), OPTIONS).data)

    listing = _run("pdffonts", str(path)).splitlines()[2:]

    assert listing
    for line in listing:
        name, *_ = line.split()
        assert re.fullmatch(r"[A-Z]{6}\+BIZUDPGothic-(Regular|Bold)", name), line
        assert " yes yes yes " in line, line  # embedded, subset, ToUnicode
    assert b"Helvetica" not in path.read_bytes()


@poppler
def test_headings_japanese_text_and_figures_copy_out(tmp_path: Path) -> None:
    text = _text(tmp_path, render_pdf(_small(), OPTIONS).data)

    for expected in (
        "月次報告",
        "令和8年10月",
        "取扱注意",
        "相談の状況",
        "相談方法別",
        "件数は相談日で数えています。",
        "取り消した相談は数えません。",
        "1,234,567",
        "1 / 1 ページ",
        "作成: 令和8年11月2日 9:05",
        "山田 花子",
    ):
        assert expected in text, expected
    assert re.search(r"融資 実行額（円）\s+—", text)  # None is a dash, not 0 or "None"
    assert re.search(r"合計\s+15\s+15", text)
    assert "（件）" in text  # the chart's value axis names its unit


@poppler
def test_a_long_table_spans_pages_with_its_header_repeated(tmp_path: Path) -> None:
    data = render_pdf(_document(_long_table()), OPTIONS).data
    pages = _pages(tmp_path, data)

    second = _text(tmp_path, data, 2)

    assert pages >= 3
    assert re.search(r"受付日\s+事業者名\s+金額（円）", second)
    assert f"2 / {pages} ページ" in second
    assert "融資あっせんの明細" not in second  # the section heading is not repeated
    last = _text(tmp_path, data, pages)
    assert "試験商事199" in last and "1,990,199" in last
    assert "令和8年10月" in last  # each row's date, in 和暦


@poppler
def test_a_dense_table_fits_a_page_a_regular_one_overflows(tmp_path: Path) -> None:
    regular = _long_table(26)
    table = regular.blocks[0]
    assert isinstance(table, Table)
    dense = replace(regular, blocks=(replace(table, dense=True),))

    spilled = render_pdf(_document(regular, landscape=True), OPTIONS).data
    fitted = render_pdf(_document(dense, landscape=True), OPTIONS).data

    assert _pages(tmp_path, spilled) == 2
    assert _pages(tmp_path, fitted) == 1
    text = _text(tmp_path, fitted)
    assert "試験商事000" in text and "試験商事025" in text and "250,025" in text


@poppler
def test_a_group_split_by_a_page_break_is_named_again_on_the_next_page(tmp_path: Path) -> None:
    rows = tuple(
        (f"銀行{g:02d}" if k == 0 else "", f"項目{k}", g * 100 + k)
        for g in range(20)
        for k in range(7)
    )
    table = Table(
        (Column("金融機関"), Column("項目"), Column("件数", numeric=True)),
        (*rows, ("", "合計", 9_999)),
        title="金融機関別",
        total_row=True,
    )
    data = render_pdf(_document(Section("融資あっせん", (table,))), OPTIONS).data
    pages = _pages(tmp_path, data)

    continued = 0
    for page in range(2, pages + 1):
        lines = [line.split() for line in _text(tmp_path, data, page).splitlines()]
        head = next(n for n, words in enumerate(lines) if words[:2] == ["金融機関", "項目"])
        first = next(words for words in lines[head + 1 :] if words)
        match = re.fullmatch(r"銀行(\d\d)(（続き）)?", first[0])
        assert match is not None, first  # every page starts with the group's name
        assert int(first[-1].replace(",", "")) // 100 == int(match[1])  # … the right one
        continued += bool(match[2])
    assert pages >= 3 and continued >= 1
    assert "続き" not in _text(tmp_path, data, 1)


def test_only_rows_continuing_a_group_are_labelled() -> None:
    table = Table(
        (Column("資金種別"), Column("項目"), Column("件数", numeric=True)),
        (("営業資金", "受付", 1), ("", "実行", 2), ("設備資金", "受付", 3), ("", "合計", 6)),
        total_row=True,
    )

    assert _continued_labels(table) == [None, None, "営業資金（続き）", None, None]
    assert _continued_labels(replace(table, total_row=False))[-1] == "設備資金（続き）"


@poppler
def test_landscape_pages_are_a4_on_their_side(tmp_path: Path) -> None:
    path = tmp_path / "wide.pdf"
    path.write_bytes(render_pdf(replace(_small(), landscape=True), OPTIONS).data)
    portrait = tmp_path / "tall.pdf"
    portrait.write_bytes(render_pdf(_small(), OPTIONS).data)

    assert "841.89 x 595.276 pts (A4)" in _run("pdfinfo", str(path))
    assert "595.276 x 841.89 pts (A4)" in _run("pdfinfo", str(portrait))


@poppler
def test_a_character_outside_the_font_is_reported_and_printed_as_geta(tmp_path: Path) -> None:
    assert missing_glyphs(REPLACEMENT) == set()  # the replacement itself can be printed
    doc = _document(
        Section(
            "事業者",
            (
                Facts((("名称", "𠮷野家 神田店"),)),
                Table((Column("代表者"),), (("髙橋 𠮷男",),)),
            ),
        )
    )

    rendered = render_pdf(doc, OPTIONS)
    text = _text(tmp_path, rendered.data)

    assert rendered.missing == ("𠮷",)
    assert "〓野家 神田店" in text and "髙橋 〓男" in text
    assert "𠮷" not in text
    assert render_pdf(_small(), OPTIONS).missing == ()


@poppler
def test_variation_selectors_and_controls_are_dropped_not_reported(tmp_path: Path) -> None:
    doc = _document(Section("区", (Text("葛\U000e0100飾区\x00役所\u200b前"),)))

    rendered = render_pdf(doc, OPTIONS)

    assert rendered.missing == ()
    assert "葛飾区役所前" in _text(tmp_path, rendered.data)


def test_the_same_input_gives_the_same_bytes_and_another_time_other_bytes() -> None:
    first = render_pdf(_small(), OPTIONS).data
    later = replace(OPTIONS, generated_at=OPTIONS.generated_at + timedelta(minutes=1))

    assert first.startswith(b"%PDF")
    assert render_pdf(_small(), OPTIONS).data == first
    assert render_pdf(_small(), later).data != first
    assert b"D:20261102090500+09'00'" in first  # the creation date is the generation time


@poppler
def test_dates_follow_the_western_setting(tmp_path: Path) -> None:
    rows = Section("日付", (Table((Column("受付日"),), ((date(2027, 3, 31),),)),))
    wareki = _text(tmp_path, render_pdf(_document(rows), OPTIONS).data)
    western = _text(
        tmp_path, render_pdf(_document(rows), replace(OPTIONS, western_dates=True)).data
    )

    assert "令和8年10月1日〜令和8年10月31日" in wareki
    assert "令和9年3月31日" in wareki
    assert "2026/10/01〜2026/10/31" in western
    assert "2027/03/31" in western and "作成: 2026/11/02 9:05" in western
    assert "令和" not in western.replace("令和8年10月", "")  # the subject is the layout's text


@poppler
def test_markup_is_printed_as_text_and_line_breaks_are_kept(tmp_path: Path) -> None:
    doc = _document(
        Section(
            "メモ",
            (
                Text("<b>太字ではない</b> & 記号\n二行目"),
                Table((Column("内容"),), (("a < b & c",),)),
            ),
        )
    )

    text = _text(tmp_path, render_pdf(doc, OPTIONS).data)

    assert "<b>太字ではない</b> & 記号" in text
    assert re.search(r"記号\s*\n\s*二行目", text)
    assert "a<b&c" in text.replace(" ", "")  # pdftotext guesses spaces from gaps


@poppler
def test_empty_tables_and_charts_say_so(tmp_path: Path) -> None:
    doc = _document(
        Section(
            "空",
            (
                Table((Column("相談方法"), Column("件数", numeric=True)), (), title="なし"),
                Chart("bar", (), (), title="グラフなし"),
                Chart("line", ("4月", "5月"), (Series("件数", (0, 0)),), title="ゼロだけ"),
            ),
        )
    )

    text = _text(tmp_path, render_pdf(doc, OPTIONS).data)

    assert "該当する記録はありません。" in text
    assert "グラフにするデータがありません。" in text
    assert "4月" in text and "5月" in text


def test_cells_are_formatted_as_the_reader_expects() -> None:
    assert format_cell(1234567, western=False) == "1,234,567"
    assert format_cell(-5000, western=False) == "-5,000"
    assert format_cell(None, western=False) == "—"
    assert format_cell(date(2019, 5, 1), western=False) == "令和元年5月1日"
    assert format_cell(date(2019, 5, 1), western=True) == "2019/05/01"
    assert period_text(date(2026, 4, 1), None, western=False) == "令和8年4月1日〜"
    assert period_text(None, None, western=False) == ""


def test_the_golden_report_is_byte_identical() -> None:
    """Regenerate after an intended layout change: CONSULT_DESK_REGENERATE_GOLDEN=1 pytest …"""
    data = render_pdf(_small(), OPTIONS).data
    if os.environ.get(REGENERATE) == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(data)
    assert GOLDEN.exists(), f"no golden file: run with {REGENERATE}=1"
    assert data == GOLDEN.read_bytes(), (
        f"the PDF differs from {GOLDEN.name}; if the change is intended, run with "
        f"{REGENERATE}=1, look at the pages (pdftoppm -png -r 60) and commit the new file"
    )
