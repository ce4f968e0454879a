"""docs/permissions.md shows exactly the matrix the services enforce."""

from pathlib import Path

from consult_desk.domain.permissions import MATRIX, Action, Kind, Role, allowed, matrix_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def test_documented_matrix_is_the_enforced_one() -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("-->\n") + len("-->\n")
    end = text.index("<!-- end of generated table -->")

    assert text[start:end] == matrix_markdown()


def test_auditors_change_nothing_and_only_admins_administer() -> None:
    changes = {Action.CREATE, Action.EDIT, Action.DELETE, Action.TRANSITION, Action.ADMINISTER}
    for kind in Kind:
        assert not MATRIX[Role.AUDITOR].get(kind, frozenset()) & changes
        for role in Role:
            if role is not Role.ADMIN:
                assert not allowed(frozenset({role}), kind, Action.ADMINISTER)


def test_several_roles_add_up() -> None:
    both = frozenset({Role.CONSULTANT, Role.LOAN_OFFICER})
    assert allowed(both, Kind.LOAN, Action.TRANSITION)
    assert allowed(both, Kind.DISPATCH, Action.TRANSITION)
    assert not allowed(both, Kind.STAFF, Action.ADMINISTER)
