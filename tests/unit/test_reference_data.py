"""Consistency checks for the reference data shipped under resources/reference/."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "resources" / "reference"

KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]+")


def _load(name: str) -> Any:
    with (REFERENCE_DIR / name).open(encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return _load("plan.json")


@pytest.fixture(scope="module")
def initiatives(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        init["code"]: init
        for basic in plan["basic_policies"]
        for policy in basic["policies"]
        for init in policy["initiatives"]
    }


@pytest.fixture(scope="module")
def towns() -> list[dict[str, str]]:
    return _load("towns.json")


@pytest.fixture(scope="module")
def consultation() -> dict[str, Any]:
    return _load("consultation.json")


@pytest.mark.parametrize(
    "name",
    ["plan.json", "jsic.json", "towns.json", "consultation.json", "loan_statuses.json"],
)
def test_files_are_utf8_json_with_two_space_indent(name: str) -> None:
    text = (REFERENCE_DIR / name).read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# --- plan.json ---------------------------------------------------------------


def test_plan_header(plan: dict[str, Any]) -> None:
    assert plan["title"] == "千代田区産業振興基本計画"
    assert plan["basic_philosophy"] == (
        "ちよだの暮らしを豊かにし、まちのステイタスを高める産業まちづくり"
    )


def test_plan_counts(plan: dict[str, Any], initiatives: dict[str, dict[str, Any]]) -> None:
    basics = plan["basic_policies"]
    policies = [p for b in basics for p in b["policies"]]
    assert len(basics) == 4
    assert len(policies) == 11
    assert len(initiatives) == 24
    assert [len(b["policies"]) for b in basics] == [3, 3, 3, 2]
    assert [len(p["initiatives"]) for p in policies] == [2, 2, 3, 1, 3, 2, 3, 1, 2, 3, 2]


def test_plan_codes_are_well_formed_unique_and_nested(plan: dict[str, Any]) -> None:
    seen: set[str] = set()
    for b_index, basic in enumerate(plan["basic_policies"], 1):
        assert re.fullmatch(r"[1-9]", basic["code"])
        assert basic["code"] == str(b_index)
        seen.add(basic["code"])
        for p_index, policy in enumerate(basic["policies"], 1):
            assert re.fullmatch(r"[1-9]-[1-9]", policy["code"])
            assert policy["code"] == f"{basic['code']}-{p_index}"
            seen.add(policy["code"])
            for i_index, init in enumerate(policy["initiatives"], 1):
                assert re.fullmatch(r"[1-9]-[1-9]-[1-9]", init["code"])
                assert init["code"] == f"{policy['code']}-{i_index}"
                seen.add(init["code"])
    assert len(seen) == 4 + 11 + 24


def test_plan_titles_and_texts_are_non_empty(plan: dict[str, Any]) -> None:
    for basic in plan["basic_policies"]:
        assert basic["title"].strip() and basic["description"].strip()
        for policy in basic["policies"]:
            assert policy["title"].strip()
            assert policy["description"].strip()
            assert policy["summary"].strip()
            for init in policy["initiatives"]:
                assert init["title"].strip()
                assert init["description"].strip()


def test_plan_titles_are_unique(initiatives: dict[str, dict[str, Any]]) -> None:
    titles = [init["title"] for init in initiatives.values()]
    assert len(titles) == len(set(titles))


def test_every_initiative_has_owners(initiatives: dict[str, dict[str, Any]]) -> None:
    for code, init in initiatives.items():
        owners = init["owners"]
        assert owners, code
        assert all(isinstance(o, str) and o and " " not in o for o in owners), code
        assert len(owners) == len(set(owners)), code


def test_descriptions_have_no_figure_captions(plan: dict[str, Any]) -> None:
    texts = [b["description"] for b in plan["basic_policies"]]
    for basic in plan["basic_policies"]:
        for policy in basic["policies"]:
            texts += [policy["description"], policy["summary"]]
            texts += [init["description"] for init in policy["initiatives"]]
    for text in texts:
        assert "出典" not in text
        assert not re.search(r"図5-\d", text)
        assert "所管" not in text


def test_plan_basic_policy_titles(plan: dict[str, Any]) -> None:
    assert [b["title"] for b in plan["basic_policies"]] == [
        "千代田区の立地を活かした中小企業等の振興",
        "千代田区の各まちブランドを活かした産業の活性化",
        "千代田区の特性を活かした観光の振興",
        "千代田区と地方相互の発展につながる連携の推進",
    ]


@pytest.mark.parametrize(
    ("code", "title", "owners"),
    [
        ("1-1-1", "創業支援", ["商工観光課", "(公財)まちみらい千代田"]),
        ("1-2-1", "資金繰りの支援", ["商工観光課"]),
        ("1-2-2", "経営相談", ["商工観光課", "(公財)まちみらい千代田"]),
        ("1-3-2", "デジタルトランスフォーメーション（DX）の取組みに対する支援", ["商工観光課"]),
        ("2-2-1", "商店街や同業種団体主催のイベント開催支援", ["商工観光課"]),
        ("3-1-2", "地域の魅力発見・発信", ["(一社)千代田区観光協会"]),
        ("3-1-3", "新たな観光資源の発掘・創出", ["商工観光課", "(一社)千代田区観光協会"]),
        (
            "3-2-1",
            "ウォーカブルな観光の推進",
            ["商工観光課", "景観・都市計画課", "(一社)千代田区観光協会"],
        ),
        ("4-1-1", "姉妹都市・連携自治体交流", ["商工観光課"]),
        ("4-1-2", "環境対策の連携", ["環境政策課"]),
        (
            "4-2-1",
            "自然体験による交流支援",
            ["商工観光課", "(公財)まちみらい千代田", "(一社)千代田区観光協会"],
        ),
    ],
)
def test_plan_spot_checks(
    initiatives: dict[str, dict[str, Any]], code: str, title: str, owners: list[str]
) -> None:
    assert initiatives[code]["title"] == title
    assert initiatives[code]["owners"] == owners


def test_owners_note_only_on_sister_city_exchange(initiatives: dict[str, dict[str, Any]]) -> None:
    noted = {
        code: init["owners_note"] for code, init in initiatives.items() if "owners_note" in init
    }
    assert noted == {"4-1-1": "他"}


# --- jsic.json ---------------------------------------------------------------


def test_jsic_has_exactly_a_to_t() -> None:
    jsic = _load("jsic.json")
    assert [e["code"] for e in jsic] == [chr(c) for c in range(ord("A"), ord("T") + 1)]
    assert all(e["name"].strip() for e in jsic)
    names = {e["code"]: e["name"] for e in jsic}
    assert names["A"] == "農業，林業"
    assert names["R"] == "サービス業（他に分類されないもの）"
    assert names["T"] == "分類不能の産業"


# --- towns.json --------------------------------------------------------------


def test_town_names_are_unique(towns: list[dict[str, str]]) -> None:
    names = [t["name"] for t in towns]
    assert len(names) == len(set(names))


def test_town_fields(towns: list[dict[str, str]]) -> None:
    for town in towns:
        assert town["name"].strip()
        assert re.fullmatch(r"10[012]\d{4}", town["postal_code"]), town
        assert town["area"] in {"麹町地域", "神田地域"}, town
        assert KATAKANA.fullmatch(town["kana"]), town


def test_town_counts_and_postal_districts(towns: list[dict[str, str]]) -> None:
    kojimachi = [t for t in towns if t["area"] == "麹町地域"]
    kanda = [t for t in towns if t["area"] == "神田地域"]
    assert len(kojimachi) == 25
    assert len(kanda) == 35
    assert all(t["postal_code"][:3] in {"100", "102"} for t in kojimachi)
    assert all(t["postal_code"][:3] == "101" for t in kanda)


def test_town_spot_checks(towns: list[dict[str, str]]) -> None:
    by_name = {t["name"]: t for t in towns}
    assert "一ツ橋" not in by_name
    assert by_name["一ツ橋一丁目"] == {
        "name": "一ツ橋一丁目",
        "kana": "ヒトツバシイッチョウメ",
        "postal_code": "1000003",
        "area": "麹町地域",
    }
    assert by_name["一ツ橋二丁目"]["postal_code"] == "1010003"
    assert by_name["一ツ橋二丁目"]["area"] == "神田地域"
    assert by_name["一ツ橋二丁目"]["kana"] == "ヒトツバシニチョウメ"
    assert by_name["霞が関"]["kana"] == "カスミガセキ"
    assert by_name["神田神保町"]["postal_code"] == "1010051"
    assert by_name["紀尾井町"]["postal_code"] == "1020094"


# --- consultation.json -------------------------------------------------------


def test_consultation_channels(consultation: dict[str, Any]) -> None:
    assert consultation["channels"] == ["窓口", "訪問", "オンライン", "電話", "メール"]


def test_topic_codes_are_unique_lowercase_ascii(consultation: dict[str, Any]) -> None:
    codes = [t["code"] for t in consultation["topics"]]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", c) for c in codes)
    names = [t["name"] for t in consultation["topics"]]
    assert len(names) == len(set(names)) == 14
    assert names[-1] == "その他"


def test_topic_initiatives_exist_in_plan(
    consultation: dict[str, Any], initiatives: dict[str, dict[str, Any]]
) -> None:
    for topic in consultation["topics"]:
        assert topic["initiative"] in initiatives, topic


def test_topic_default_mapping(consultation: dict[str, Any]) -> None:
    by_initiative: dict[str, list[str]] = {}
    for topic in consultation["topics"]:
        by_initiative.setdefault(topic["initiative"], []).append(topic["name"])
    assert by_initiative["1-2-1"] == ["資金繰り・融資"]
    assert by_initiative["1-1-1"] == ["創業"]
    assert by_initiative["1-3-1"] == ["販路拡大・マーケティング"]
    assert by_initiative["1-3-2"] == ["IT・DX"]
    assert by_initiative["1-3-3"] == ["SDGs・脱炭素"]
    assert set(by_initiative) == {"1-1-1", "1-2-1", "1-2-2", "1-3-1", "1-3-2", "1-3-3"}


# --- loan_statuses.json ------------------------------------------------------


def test_loan_statuses() -> None:
    statuses = _load("loan_statuses.json")
    codes = [s["code"] for s in statuses]
    assert len(codes) == len(set(codes)) == 19
    assert all(re.fullmatch(r"[A-Z][A-Z_]*", c) for c in codes)
    assert all(s["name"].strip() and isinstance(s["terminal"], bool) for s in statuses)
    assert {s["code"] for s in statuses if s["terminal"]} == {
        "REPAID",
        "REFUSED_BY_WARD",
        "DECLINED_BANK",
        "DECLINED_CGC",
        "WITHDRAWN",
        "EXPIRED",
        "SUBROGATED",
    }
    assert codes[0] == "INQUIRY"
