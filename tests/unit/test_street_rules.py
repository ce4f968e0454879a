"""Field rules of shopping streets: associations, member counts, support records, events."""

import json
import re
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from consult_desk.db.models import STREET_LEGAL_FORMS
from consult_desk.domain.errors import FieldError
from consult_desk.domain.messages import FIELD_LABELS, MESSAGES
from consult_desk.domain.streets import (
    EVENT_INITIATIVE_CODE,
    AssociationInput,
    EventInput,
    LegalForm,
    MembershipInput,
    SupportInput,
    SupportKindCode,
    SupportKindInput,
    SupportQuery,
    phone_error,
    read_numbers,
    street_area,
)

TODAY = date(2026, 11, 28)
VALID_NUMBER = "7000012050002"
ROOT = Path(__file__).resolve().parents[2]
KINDS_FILE = ROOT / "migrations" / "data" / "0002" / "support_kinds.json"


def _association(**changes: Any) -> AssociationInput:
    values: dict[str, Any] = {"name": "神田駅西口商店街振興組合", "legal_form": "商店街振興組合"}
    values.update(changes)
    return AssociationInput(**values).normalized()


def _codes(errors: list[FieldError]) -> dict[str, str]:
    return {e.field: e.code for e in errors}


def test_legal_forms_are_the_ones_the_schema_allows() -> None:
    assert tuple(LegalForm) == STREET_LEGAL_FORMS


def test_shipped_support_kinds_have_the_domain_codes() -> None:
    shipped = json.loads(KINDS_FILE.read_text(encoding="utf-8"))

    assert {k["code"] for k in shipped} == set(SupportKindCode)
    event = next(k for k in shipped if k["code"] == SupportKindCode.EVENT)
    assert event["initiative"] == EVENT_INITIATIVE_CODE


def test_a_valid_association_has_no_errors() -> None:
    value = _association(
        corporate_number="７０００－０１２０－５０００２",
        incorporated_on=date(1985, 5, 17),
        phone="０３ー３２９１ー００００",
        email="info@example.jp",
    )

    assert value.corporate_number == VALID_NUMBER
    assert value.errors(TODAY, town_areas={"神田地域"}) == []


def test_name_and_legal_form_are_required() -> None:
    value = _association(name="  ", legal_form="株式会社")

    assert _codes(value.errors(TODAY)) == {"name": "required", "legal_form": "invalid_choice"}


def test_wrong_check_digit_is_refused() -> None:
    value = _association(corporate_number="7000012050003")

    assert _codes(value.errors(TODAY)) == {"corporate_number": "corporate_number.check_digit"}


@pytest.mark.parametrize("form", [LegalForm.PROMOTION_UNION, LegalForm.COOPERATIVE])
def test_incorporated_forms_may_have_a_corporate_number(form: LegalForm) -> None:
    assert form.incorporated
    assert _association(legal_form=form, corporate_number=VALID_NUMBER).errors(TODAY) == []


def test_a_voluntary_association_has_no_corporate_number_or_incorporation_date() -> None:
    value = _association(
        legal_form=LegalForm.VOLUNTARY,
        corporate_number=VALID_NUMBER,
        incorporated_on=date(2000, 4, 1),
    )

    assert _codes(value.errors(TODAY)) == {
        "corporate_number": "street.voluntary_corporate_number",
        "incorporated_on": "street.voluntary_incorporated_on",
    }


def test_a_federation_may_have_a_corporate_number() -> None:
    value = _association(legal_form=LegalForm.FEDERATION, corporate_number=VALID_NUMBER)

    assert value.errors(TODAY) == []


def test_incorporation_cannot_lie_ahead() -> None:
    value = _association(incorporated_on=date(2026, 11, 29))

    assert _codes(value.errors(TODAY)) == {"incorporated_on": "date.future"}


def test_area_must_agree_with_the_towns() -> None:
    value = _association(area="麹町地域")

    assert _codes(value.errors(TODAY, town_areas={"神田地域"})) == {"area": "area.town_mismatch"}
    # A street across the border between the two areas may name either.
    assert value.errors(TODAY, town_areas={"神田地域", "麹町地域"}) == []
    assert value.errors(TODAY) == []


def test_area_follows_the_towns_when_not_chosen() -> None:
    assert street_area(None, ["神田地域", "神田地域"]) == "神田地域"
    assert street_area(None, ["神田地域", "麹町地域"]) == "未設定"
    assert street_area(None, []) == "未設定"
    assert street_area("未設定", ["麹町地域"]) == "麹町地域"
    assert street_area("麹町地域", ["神田地域", "麹町地域"]) == "麹町地域"


@pytest.mark.parametrize(
    ("phone", "code"),
    [
        ("03-3291-0000", None),
        ("090-1234-5678", None),
        ("03-3291-0000 内線123", None),
        ("3291-0000", "street.phone_format"),
        ("電話なし", "street.phone_format"),
        ("", None),
    ],
)
def test_phone_numbers_start_with_the_area_code(phone: str, code: str | None) -> None:
    assert phone_error(phone) == code


def test_email_and_lengths_are_checked() -> None:
    value = _association(email="info@", representative_name="長" * 101)

    assert _codes(value.errors(TODAY)) == {
        "email": "email.format",
        "representative_name": "too_long",
    }


def test_member_counts_are_not_negative() -> None:
    value = MembershipInput(2026, full_members=-1, supporting_members=-3)

    assert _codes(value.errors(TODAY)) == {
        "full_members": "negative",
        "supporting_members": "negative",
    }


def test_member_counts_may_be_entered_for_next_year_at_most() -> None:
    assert MembershipInput(2027, 10, 0).errors(TODAY) == []
    assert _codes(MembershipInput(2028, 10, 0).errors(TODAY)) == {
        "fiscal_year": "street.fiscal_year_range"
    }
    assert _codes(MembershipInput(1949, 10, 0).errors(TODAY)) == {
        "fiscal_year": "street.fiscal_year_range"
    }


def test_support_needs_a_title_and_a_past_date() -> None:
    value = SupportInput(kind_id=1, supported_on=date(2026, 11, 29), title=" ").normalized()

    assert _codes(value.errors(TODAY)) == {"title": "required", "supported_on": "date.future"}


def test_university_details_only_for_university_kind() -> None:
    value = SupportInput(
        kind_id=4,
        supported_on=TODAY,
        title="千代田学",
        university="法政大学",
        project="すずらん通り調査",
        student_count=12,
    ).normalized()

    assert value.errors(TODAY, university_kind=True) == []
    assert _codes(value.errors(TODAY)) == {
        "university": "street.university_only",
        "project": "street.university_only",
        "student_count": "street.university_only",
    }


def test_student_count_is_not_negative() -> None:
    value = SupportInput(kind_id=4, supported_on=TODAY, title="調査", student_count=-2)

    assert _codes(value.errors(TODAY, university_kind=True)) == {"student_count": "negative"}


def test_event_cannot_end_before_it_starts() -> None:
    value = EventInput("すずらんまつり", starts_on=date(2026, 5, 17), ends_on=date(2026, 5, 16))

    assert _codes(value.errors()) == {"ends_on": "street.event_period"}
    assert EventInput("一日だけ", date(2026, 5, 17), date(2026, 5, 17)).errors() == []


def test_full_width_amounts_are_read_and_negative_ones_refused() -> None:
    values, errors = read_numbers({"budget": "１２０万円", "visitors": "３，０００", "x": " "})

    assert values == {"budget": 1_200_000, "visitors": 3_000, "x": None}
    assert errors == []

    values, _ = read_numbers({"budget": "−５，０００"})
    value = EventInput("売出し", TODAY, TODAY, budget=values["budget"], visitors=-1)
    assert _codes(value.errors()) == {"budget": "negative", "visitors": "negative"}


def test_unreadable_amounts_name_their_field() -> None:
    values, errors = read_numbers({"budget": "十二万", "visitors": "1.5"})

    assert values == {"budget": None, "visitors": None}
    assert _codes(errors) == {"budget": "number.format", "visitors": "number.format"}


def test_support_kind_needs_a_name_and_an_initiative() -> None:
    value = SupportKindInput(" ", None).normalized()

    assert _codes(value.errors()) == {"name": "required", "initiative_id": "required"}


def test_support_query_refuses_a_reversed_period() -> None:
    query = SupportQuery(date_from=date(2026, 4, 1), date_to=date(2026, 3, 31))

    assert _codes(query.errors()) == {"date_to": "period.reversed"}


def test_every_street_code_and_field_has_japanese_text() -> None:
    source = "\n".join(
        (ROOT / "consult_desk" / part / "streets.py").read_text(encoding="utf-8")
        for part in ("domain", "services")
    )
    codes = set(re.findall(r'"(street\.[a-z_]+)"', source))
    inputs = (AssociationInput, MembershipInput, SupportInput, EventInput, SupportKindInput)

    assert codes and codes <= MESSAGES.keys()
    assert {f.name for cls in inputs for f in fields(cls)} <= FIELD_LABELS.keys()
