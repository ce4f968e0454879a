"""Writes the import fixtures of this folder (run it again after changing them here):

    .venv/bin/python tests/data/import/make_fixtures.py

- businesses_cp932.csv: clean businesses in CP932, typed as people type (法人番号 with hyphens
  and full-width digits, 「500万円」, 「１２人」, 和暦 and R3.10.1 dates, a full-width postal code).
- consultations_utf8_bom.csv: clean consultations in UTF-8 with BOM (business by 法人番号 and by
  name, several topics, 「1時間30分」, a blank 担当者).
- loans.xlsx: loan cases at 相談 / あっせん書交付 / 融資実行 / 完済, with Excel dates and numbers.
- consultations_messy.csv / businesses_messy.csv / loans_messy.csv: a wrong 法人番号, a
  31 February, an unknown channel, a negative amount, an ambiguous business name, a blank
  required cell, an extra column.

Every date lies before 2026-11 so that none is ever "in the future".
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent

BUSINESSES = [
    [
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
    ],
    [
        "株式会社神田青果",
        "カンダセイカ",
        "8010001034567",
        "法人",
        "I",
        "101-0054",
        "千代田区神田錦町1-2-3",
        "03-3291-0001",
        "info@kanda-seika.example.jp",
        "神田 太郎",
        "区民",
        "500万円",
        "１２人",
        "令和元年5月1日",
    ],
    [
        "有限会社丸の内印刷",
        "マルノウチインサツ",
        "1-0100-0108-7654",
        "法人",
        "製造業",
        "100-0005",
        "千代田区丸の内2-1-1",
        "03-3211-0002",
        "",
        "丸山 次郎",
        "一般",
        "1,000万円",
        "3",
        "2010/4/1",
    ],
    [
        "麹町食堂",
        "コウジマチショクドウ",
        "",
        "個人事業主",
        "M",
        "102-0083",
        "千代田区麹町3-4",
        "03-3261-0003",
        "",
        "麹 花子",
        "区民",
        "",
        "2名",
        "R3.10.1",
    ],
    [
        "合同会社岩本町ソフト",
        "イワモトチョウソフト",
        "９０１０４０１０１２３４５",
        "法人",
        "情報通信業",
        "１０１－００３２",
        "千代田区岩本町1-1-1",
        "03-5823-0004",
        "hello@iwamoto.example.jp",
        "岩本 三郎",
        "一般",
        "３００万円",
        "25",
        "2018年7月15日",
    ],
    ["神保町古書店", "ジンボウチョウコショテン", "", "創業予定者", "I", "101-0051"] + [""] * 8,
]

CONSULTATIONS = [
    [
        "相談日",
        "事業者名",
        "法人番号",
        "相談方法",
        "相談分野",
        "担当者",
        "所要時間",
        "相談内容",
        "助言内容",
        "次回対応",
        "対応期限",
    ],
    [
        "2026-10-01",
        "",
        "8010001034567",
        "窓口",
        "資金繰り・融資、補助金・給付金等の施策活用",
        "佐藤 花子",
        "60",
        "運転資金の相談",
        "制度融資を案内",
        "必要書類を持参",
        "2026/10/15",
    ],
    [
        "2026/10/2",
        "麹町食堂",
        "",
        "オンライン",
        "創業",
        "佐藤花子",
        "1時間30分",
        "開業計画",
        "計画書の書き方",
        "",
        "",
    ],
    [
        "令和8年10月5日",
        "有限会社丸の内印刷",
        "",
        "電話",
        "IT・DX;販路拡大・マーケティング",
        "",
        "３０分",
        "EC サイトの相談",
        "補助金の紹介",
        "",
        "",
    ],
]

CONSULTATIONS_MESSY = [
    [
        "相談日",
        "事業者名",
        "法人番号",
        "相談方法",
        "相談分野",
        "担当者",
        "所要時間",
        "相談内容",
        "備考",
    ],
    ["2026-10-01", "", "8010001034568", "窓口", "創業", "佐藤 花子", "60", "法人番号の誤り", ""],
    ["2026-02-31", "麹町食堂", "", "窓口", "創業", "佐藤 花子", "60", "存在しない日付", ""],
    ["2026-10-03", "麹町食堂", "", "FAX", "創業", "佐藤 花子", "60", "未登録の相談方法", ""],
    ["2026-10-04", "麹町食堂", "", "窓口", "創業", "佐藤 花子", "-30", "負の所要時間", ""],
    ["2026-10-05", "千代田商店", "", "窓口", "創業", "佐藤 花子", "60", "同名の事業者", ""],
    ["", "麹町食堂", "", "窓口", "創業", "佐藤 花子", "60", "相談日が空欄", ""],
]

BUSINESSES_MESSY = [
    ["事業者名", "法人番号", "資本金", "設立日", "代表者携帯"],
    ["株式会社誤番号", "8010001034568", "500万円", "2020-04-01", ""],
    ["株式会社二月", "", "500万円", "2021-02-31", ""],
    ["株式会社マイナス", "", "-500万円", "2020-04-01", ""],
    ["", "", "100万円", "2020-04-01", ""],
]

LOAN_HEADER = [
    "受付日",
    "事業者名",
    "法人番号",
    "資金種別",
    "金融機関",
    "申込額",
    "状態",
    "あっせん書交付日",
    "実行日",
    "実行額",
    "終了日",
    "理由",
]
LOANS_MESSY = [
    [*LOAN_HEADER, "メモ"],
    ["2026-09-01", "", "8010001034568", "営業資金", "みずほ銀行", "300万円", "相談"] + [""] * 6,
    ["2026-02-31", "麹町食堂", "", "営業資金", "みずほ銀行", "300万円", "相談"] + [""] * 6,
    ["2026-09-01", "麹町食堂", "", "営業資金", "みずほ銀行", "-300万円", "相談"] + [""] * 6,
    ["2026-09-01", "千代田商店", "", "営業資金", "みずほ銀行", "300万円", "相談"] + [""] * 6,
    ["", "麹町食堂", "", "営業資金", "みずほ銀行", "300万円", "相談"] + [""] * 6,
    ["2026-09-01", "麹町食堂", "", "営業資金", "みずほ銀行", "300万円", "融資実行"] + [""] * 6,
]


def _csv(name: str, rows: list[list[str]], encoding: str) -> None:
    with (HERE / name).open("w", encoding=encoding, newline="") as out:
        csv.writer(out).writerows(rows)


def _loans_xlsx() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "融資あっせん"
    sheet.append(LOAN_HEADER)
    day = datetime
    sheet.append(
        [day(2026, 9, 1), "", "8010001034567", "営業資金", "みずほ銀行", 3_000_000, "相談"]
    )
    sheet.append(
        [
            day(2026, 9, 1),
            "",
            "8010001034567",
            "営業資金",
            "みずほ銀行",
            "300万円",
            "あっせん書交付",
            day(2026, 9, 8),
        ]
    )
    sheet.append(
        [
            day(2026, 8, 3),
            "有限会社丸の内印刷",
            "",
            "営業資金",
            "みずほ銀行",
            5_000_000,
            "融資実行",
            day(2026, 8, 10),
            day(2026, 8, 25),
            5_000_000,
        ]
    )
    sheet.append(
        [
            day(2026, 6, 1),
            "",
            "8010001034567",
            "営業資金",
            "朝日信用金庫",
            1_000_000,
            "完済",
            "2026/6/8",
            day(2026, 6, 19),
            "100万円",
            "令和8年10月30日",
            "繰上完済",
        ]
    )
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy/m/d"
    workbook.save(HERE / "loans.xlsx")


def main() -> None:
    _csv("businesses_cp932.csv", BUSINESSES, "cp932")
    _csv("consultations_utf8_bom.csv", CONSULTATIONS, "utf-8-sig")
    _csv("consultations_messy.csv", CONSULTATIONS_MESSY, "utf-8")
    _csv("businesses_messy.csv", BUSINESSES_MESSY, "cp932")
    _csv("loans_messy.csv", LOANS_MESSY, "utf-8-sig")
    _loans_xlsx()


if __name__ == "__main__":
    main()
