"""設定 › 補助金制度: subsidy programs and, for each, its amount rules by period (補助率, the
cost band, rounding, cap, applications per 年度, the 実績報告 deadline). Administrators edit;
the other subsidy-desk roles only read (the controls are disabled, and the service would refuse
anyway)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.fiscal import (
    format_date,
    format_yen,
    japan_today,
    parse_date,
)
from consult_desk.domain.permissions import Action, Kind, Principal, Role
from consult_desk.domain.reference import InitiativeNode
from consult_desk.domain.subsidies import (
    ProgramInfo,
    ProgramInput,
    SubsidyRule,
    SubsidyTarget,
    TermsInfo,
    TermsInput,
    eligible_amount,
    initiative_code_for,
)
from consult_desk.domain.text import parse_int
from consult_desk.services.subsidies import SubsidyService
from consult_desk.ui.widgets.inline_fields import NONE

# The form base (inline errors under each field, the service's refusals placed at their field)
# is shared: one form behaviour across the 設定 master tabs.
from consult_desk.ui.widgets.master_form import (
    FormDialog,
    TermsFormDialog,
    fill_table,
    next_terms_start,
    short_hint,
)
from consult_desk.ui.widgets.tables import make_table_widget, selected_row

EXAMPLE_STYLE = "font-weight: bold; color: #1f3a5f;"
# Consultants file subsidies and managers / auditors oversee them; the loan desk never does.
SUBSIDY_DESK_ROLES = frozenset({Role.CONSULTANT, Role.MANAGER, Role.ADMIN, Role.AUDITOR})
ROUNDING_UNITS = (1, 10, 100, 1000, 10_000)
EXAMPLE_COST = 1_200_000  # the cost the live example uses when the terms have no cost band
# 「2/3」「２／３」「⅔」 (NFKC gives 2⁄3) and 「3分の2」; a whole number is n/1 (「1」: 全額).
_SLASHED = re.compile(r"([0-9]+)[/\u2044]([0-9]+)", re.ASCII)
_BUNNO = re.compile(r"([0-9]+)分の([0-9]+)", re.ASCII)
_WHOLE = re.compile(r"[0-9]+", re.ASCII)


def shows_subsidy_master(principal: Principal) -> bool:
    return principal.can(Kind.MASTER, Action.READ) and bool(principal.roles & SUBSIDY_DESK_ROLES)


def parse_fraction(text: str) -> tuple[int, int] | None:
    """A rate as typed: 「2/3」「２／３」「3分の2」「⅔」「1」; None when empty.

    The terms are kept as typed (10/10 stays 10/10, as programs publish it); the range (0 < rate
    ≤ 1) is TermsInput's to check. Raises ValueError for anything else, a zero denominator too.
    """
    cleaned = "".join(unicodedata.normalize("NFKC", text).split())
    if not cleaned:
        return None
    if match := _SLASHED.fullmatch(cleaned):
        numerator, denominator = int(match[1]), int(match[2])
    elif match := _BUNNO.fullmatch(cleaned):
        denominator, numerator = int(match[1]), int(match[2])
    elif _WHOLE.fullmatch(cleaned):
        numerator, denominator = int(cleaned), 1
    else:
        raise ValueError(f"not a fraction: {text!r}")
    if denominator == 0:
        raise ValueError("zero denominator")
    return numerator, denominator


def format_fraction(numerator: int, denominator: int) -> str:
    return f"{numerator}/{denominator}"


def rounding_text(unit: int) -> str:
    return "切捨てなし（1円単位）" if unit <= 1 else f"{unit:,}円未満切捨て"


def band_text(terms: TermsInfo) -> str:
    """「1,000,000円以下は 5/6」, or — without a cost band."""
    n, d, threshold = terms.band_rate_numerator, terms.band_rate_denominator, terms.band_threshold
    if n is None or d is None or threshold is None:
        return NONE
    return f"{format_yen(threshold)}以下は {format_fraction(n, d)}"


def terms_cells(terms: TermsInfo) -> list[str]:
    per_year = terms.max_per_fiscal_year
    days = terms.report_due_days
    return [
        format_date(terms.valid_from),
        format_date(terms.valid_to) or NONE,
        format_fraction(terms.rate_numerator, terms.rate_denominator),
        band_text(terms),
        rounding_text(terms.rounding_unit),
        format_yen(terms.cap_amount) or "なし",
        f"{per_year}件" if per_year is not None else "制限なし",
        f"終了後 {days} 日" if days is not None else NONE,
    ]


def example_text(rule: SubsidyRule) -> str:
    """The live example of the terms dialog: what the rule pays for a typical cost; with a cost
    band, at the threshold and just above it (the rate is for the whole cost, not marginal)."""
    threshold = rule.band_threshold if rule.band_rate is not None else None
    costs = [EXAMPLE_COST] if threshold is None else [threshold, threshold + threshold // 5]
    lines = []
    for cost in costs:
        amount = eligible_amount(rule, cost)
        suffix = "（上限額）" if amount < eligible_amount(replace(rule, cap=None), cost) else ""
        lines.append(f"対象経費 {format_yen(cost)} → 補助額 {format_yen(amount)}{suffix}")
    return "例: " + "\n　　".join(lines)


# --- programs -----------------------------------------------------------------------------


class ProgramDialog(FormDialog):
    """補助金制度の追加・編集: name, target, the plan initiative it serves, in use, notes."""

    def __init__(
        self,
        service: SubsidyService,
        initiatives: Sequence[InitiativeNode] = (),
        program: ProgramInfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            self.tr("補助金制度の編集") if program else self.tr("補助金制度の追加"), parent
        )
        self._service = service
        self._program = program
        self.name_edit = QLineEdit()
        self.name_edit.setMinimumWidth(320)
        self.target_combo = QComboBox()
        for target in SubsidyTarget:
            self.target_combo.addItem(self.tr(target.label), target.value)
        self.initiative_combo = QComboBox()
        self.initiative_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.initiative_combo.setMinimumContentsLength(28)  # plan titles are long
        self.initiative_combo.addItem("", None)  # 名称から自動: its text follows the name
        for node in initiatives:
            self.initiative_combo.addItem(f"{node.code}　{node.title}", node.id)
            self.initiative_combo.setItemData(
                self.initiative_combo.count() - 1, node.title, Qt.ItemDataRole.ToolTipRole
            )
        self.active_check = QCheckBox(self.tr("利用中（外すと新しい申請で選べなくなります）"))
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(80)
        self._row("name", self.name_edit, label=self.tr("制度の名称（必須）"))
        self._row("target", self.target_combo, label=self.tr("対象"))
        self._row("initiative_id", self.initiative_combo, label=self.tr("施策"))
        self._row("active", self.active_check, label=self.tr("状態"))
        self._row("notes", self.notes_edit, label=self.tr("備考"))
        value = program.as_input() if program else ProgramInput("", SubsidyTarget.BUSINESS)
        self.name_edit.setText(value.name)
        index = self.target_combo.findData(value.target.value)
        self.target_combo.setCurrentIndex(max(index, 0))
        if value.initiative_id is not None:
            index = self.initiative_combo.findData(value.initiative_id)
            self.initiative_combo.setCurrentIndex(max(index, 0))
        self.active_check.setChecked(value.active)
        self.notes_edit.setPlainText(value.notes)
        self.name_edit.textChanged.connect(lambda _text: self._show_automatic())
        self.target_combo.currentIndexChanged.connect(lambda _index: self._show_automatic())
        self.target_combo.currentIndexChanged.connect(lambda _index: self._edited())
        self._show_automatic()
        self.resize(560, self.sizeHint().height())

    def _target(self) -> SubsidyTarget:
        return SubsidyTarget(self.target_combo.currentData())

    def _show_automatic(self) -> None:
        code = initiative_code_for(self.name_edit.text(), self._target())
        self.initiative_combo.setItemText(0, self.tr("名称から自動で選ぶ（{0}）").format(code))

    def value(self) -> ProgramInput:
        return ProgramInput(
            name=self.name_edit.text(),
            target=self._target(),
            initiative_id=self.initiative_combo.currentData(),
            active=self.active_check.isChecked(),
            notes=self.notes_edit.toPlainText(),
        )

    def _client_errors(self) -> dict[str, str]:
        return {e.field: e.code for e in self.value().errors()}

    def _submit(self) -> int:
        if self._program is None:
            return self._service.add_program(self.value())
        self._service.update_program(self._program.id, self._program.version, self.value())
        return self._program.id


# --- terms --------------------------------------------------------------------------------

# The terms form's typed fields → the kind of text. The band rate's errors show at the band row,
# the rate denominator's at the rate.
_TERMS_TEXT_FIELDS: dict[str, str] = {
    "valid_from": "date",
    "valid_to": "date",
    "rate_numerator": "fraction",
    "band_threshold": "yen",
    "band_rate_numerator": "fraction",
    "cap_amount": "yen",
    "max_per_fiscal_year": "int",
    "report_due_days": "int",
}
_REQUIRED = frozenset({"valid_from", "rate_numerator"})
_PARSE_CODES = {
    "date": "date.format",
    "yen": "number.format",
    "int": "number.format",
    "fraction": "subsidy_terms.rate",
}
_SHOWN_AT = {
    "band_rate_numerator": "band_threshold",
    "band_rate_denominator": "band_threshold",
    "rate_denominator": "rate_numerator",
}
# The fields the live example depends on: any error there and there is nothing to compute.
_RULE_FIELDS = frozenset({"rate_numerator", "band_threshold", "rounding_unit", "cap_amount"})


class TermsDialog(TermsFormDialog):
    """補助率・上限（適用期間ごと）の追加・編集; a new period starts as a copy of the newest."""

    OVERLAP_CODE = "subsidy_terms.overlap"

    def __init__(
        self,
        service: SubsidyService,
        program: ProgramInfo,
        terms: TermsInfo | None = None,
        newest: TermsInfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        title = self.tr("補助率・上限の編集: {0}") if terms else self.tr("補助率・上限の追加: {0}")
        super().__init__(title.format(program.name), parent)
        self._service = service
        self._program = program
        self._terms = terms
        self._newest = newest
        self.edits: dict[str, QLineEdit] = {}
        for name in _TERMS_TEXT_FIELDS:
            edit = QLineEdit()
            edit.setMaximumWidth(180)
            self.edits[name] = edit
        e = self.edits
        for name in ("rate_numerator", "band_rate_numerator", "max_per_fiscal_year"):
            e[name].setMaximumWidth(90)
        e["report_due_days"].setMaximumWidth(70)
        e["valid_from"].setPlaceholderText(self.tr("例: 2026-04-01"))
        e["valid_to"].setPlaceholderText(self.tr("空欄: 定めなし"))
        e["rate_numerator"].setPlaceholderText(self.tr("例: 2/3"))
        e["band_threshold"].setPlaceholderText(self.tr("例: 100万"))
        e["band_rate_numerator"].setPlaceholderText(self.tr("例: 5/6"))
        e["cap_amount"].setPlaceholderText(self.tr("空欄: 上限なし"))
        e["max_per_fiscal_year"].setPlaceholderText(self.tr("空欄: 制限なし"))
        self.rounding_combo = QComboBox()
        for unit in ROUNDING_UNITS:
            self.rounding_combo.addItem(rounding_text(unit), unit)
        self.example_label = QLabel()
        self.example_label.setStyleSheet(EXAMPLE_STYLE)
        self.example_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._row("valid_from", e["valid_from"], label=self.tr("適用開始日（必須）"))
        self._row("valid_to", e["valid_to"], short_hint(self.tr("この日を含みます")))
        self._row(
            "rate_numerator",
            e["rate_numerator"],
            short_hint(self.tr("分数で（例: 2/3、3分の2）")),
            label=self.tr("補助率（必須）"),
        )
        self._row(
            "band_threshold",
            e["band_threshold"],
            QLabel(self.tr("以下は")),
            e["band_rate_numerator"],
            short_hint(self.tr("空欄: 区分なし")),
            label=self.tr("経費区分"),
        )
        # The band row's second field counts as the row's own for touch and re-checks.
        e["band_rate_numerator"].editingFinished.connect(lambda: self._finished("band_threshold"))
        e["band_rate_numerator"].textEdited.connect(lambda _text: self._edited())
        self._row("rounding_unit", self.rounding_combo, label=self.tr("端数処理"))
        self._row("cap_amount", e["cap_amount"], label=self.tr("上限額"))
        self._row(
            "max_per_fiscal_year",
            e["max_per_fiscal_year"],
            short_hint(self.tr("件まで（同じ申請者・同じ年度）")),
            label=self.tr("年度あたり上限件数"),
        )
        self._row(
            "report_due_days",
            e["report_due_days"],
            short_hint(self.tr("日以内（空欄: 定めなし）")),
            label=self.tr("実績報告期限（事業終了後）"),
        )
        self.form.addRow(self.tr("計算例"), self.example_label)
        for edit in self.edits.values():
            edit.textChanged.connect(lambda _text: self._update_example())
        self.rounding_combo.currentIndexChanged.connect(lambda _index: self._update_example())
        self._load()
        self.resize(560, self.sizeHint().height())

    def _load(self) -> None:
        source = self._terms or self._newest
        if source is None:
            start = next_terms_start(None, japan_today())
            self.edits["valid_from"].setText(format_date(start))
            self._select_rounding(1000)
        else:
            self._show_value(source.as_input())
            if self._terms is None:  # a copy of the newest terms for the next period
                start = next_terms_start(source, japan_today())
                self.edits["valid_from"].setText(format_date(start))
                self.edits["valid_to"].setText("")
        self._update_example()

    def _show_value(self, value: TermsInput) -> None:
        shown: dict[str, object] = {
            "valid_from": value.valid_from,
            "valid_to": value.valid_to,
            "rate_numerator": (value.rate_numerator, value.rate_denominator),
            "band_threshold": value.band_threshold,
            "band_rate_numerator": (
                (value.band_rate_numerator, value.band_rate_denominator)
                if value.band_rate_numerator is not None and value.band_rate_denominator is not None
                else None
            ),
            "cap_amount": value.cap_amount,
            "max_per_fiscal_year": value.max_per_fiscal_year,
            "report_due_days": value.report_due_days,
        }
        for name, parsed in shown.items():
            self.edits[name].setText(self._display(name, parsed))
        self._select_rounding(value.rounding_unit)

    def _select_rounding(self, unit: int) -> None:
        index = self.rounding_combo.findData(unit)
        if index < 0:  # a unit entered elsewhere (the CLI, an older version): keep it choosable
            self.rounding_combo.addItem(rounding_text(unit), unit)
            index = self.rounding_combo.count() - 1
        self.rounding_combo.setCurrentIndex(index)

    @staticmethod
    def _display(name: str, value: object) -> str:
        if value is None:
            return ""
        kind = _TERMS_TEXT_FIELDS[name]
        if kind == "date" and isinstance(value, date):
            return format_date(value)
        if kind == "yen" and isinstance(value, int):
            return format_yen(value)
        if kind == "fraction" and isinstance(value, tuple):
            return format_fraction(*value)
        return str(value)

    def _parse(self, name: str) -> object:
        """The typed value; None when empty; ValueError when unreadable."""
        text = self.edits[name].text().strip()
        if not text:
            return None
        kind = _TERMS_TEXT_FIELDS[name]
        if kind == "date":
            return parse_date(text)
        if kind == "fraction":
            return parse_fraction(text)
        return parse_int(text)

    def _collect(self) -> tuple[TermsInput, dict[str, str]]:
        """The typed terms (unreadable fields stand in as empty) and every problem found, keyed
        by the row that shows it."""
        problems: dict[str, str] = {}
        values: dict[str, Any] = {}
        for name, kind in _TERMS_TEXT_FIELDS.items():
            try:
                values[name] = self._parse(name)
            except ValueError:
                problems.setdefault(_SHOWN_AT.get(name, name), _PARSE_CODES[kind])
                values[name] = None
                continue
            if values[name] is None and name in _REQUIRED:
                problems.setdefault(name, "required")
        rate = values["rate_numerator"] or (1, 1)
        band_rate = values["band_rate_numerator"] or (None, None)
        value = TermsInput(
            valid_from=values["valid_from"] or date.min,
            valid_to=values["valid_to"],
            rate_numerator=rate[0],
            rate_denominator=rate[1],
            band_threshold=values["band_threshold"],
            band_rate_numerator=band_rate[0],
            band_rate_denominator=band_rate[1],
            rounding_unit=self.rounding_combo.currentData(),
            cap_amount=values["cap_amount"],
            max_per_fiscal_year=values["max_per_fiscal_year"],
            report_due_days=values["report_due_days"],
        )
        found = dict(problems)
        for error in value.errors():
            found.setdefault(_SHOWN_AT.get(error.field, error.field), error.code)
        return value, found

    def value(self) -> TermsInput | None:
        value, found = self._collect()
        return None if found else value

    def _client_errors(self) -> dict[str, str]:
        return self._collect()[1]

    def _reformat(self, name: str) -> None:
        """Show what was understood (1,000,000円, 2/3, 令和8年4月1日); a field with an error
        keeps exactly what was typed."""
        names = ("band_threshold", "band_rate_numerator") if name == "band_threshold" else (name,)
        if name not in self.edits or name in self._client_errors():
            return
        for field_name in names:
            try:
                parsed = self._parse(field_name)
            except ValueError:
                continue
            if parsed is not None:
                self.edits[field_name].setText(self._display(field_name, parsed))

    def _update_example(self) -> None:
        value, found = self._collect()
        if found.keys() & _RULE_FIELDS:
            self.example_label.setText(self.tr("例: 補助率などを正しく入力すると計算します"))
            return
        self.example_label.setText(example_text(value.rule()))


# --- the tab ------------------------------------------------------------------------------


class SubsidyProgramsTab(QWidget):
    """補助金制度 and, for the selected one, its terms by period (the newest first)."""

    def __init__(
        self,
        service: SubsidyService,
        principal: Principal,
        initiatives: Sequence[InitiativeNode] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._initiatives = tuple(initiatives)
        self._by_id = {node.id: node for node in self._initiatives}
        self._programs: list[ProgramInfo] = []
        self._terms: list[TermsInfo] = []
        can_add = principal.can(Kind.MASTER, Action.CREATE)
        can_edit = principal.can(Kind.MASTER, Action.EDIT)
        self.programs_table = make_table_widget(
            [
                self.tr("名称"),
                self.tr("対象"),
                self.tr("施策"),
                self.tr("状態"),
                self.tr("備考"),
            ]
        )
        self.terms_table = make_table_widget(
            [
                self.tr("適用開始"),
                self.tr("適用終了"),
                self.tr("補助率"),
                self.tr("経費区分"),
                self.tr("端数処理"),
                self.tr("上限額"),
                self.tr("年度あたり\n上限件数"),
                self.tr("実績報告期限"),
            ]
        )
        self.add_program_button = QPushButton(self.tr("制度を追加…"))
        self.edit_program_button = QPushButton(self.tr("制度を編集…"))
        self.add_terms_button = QPushButton(self.tr("条件を追加…"))
        self.edit_terms_button = QPushButton(self.tr("条件を編集…"))
        for button, allowed, slot in (
            (self.add_program_button, can_add, self._add_program),
            (self.edit_program_button, can_edit, self._edit_program),
            (self.add_terms_button, can_add, self._add_terms),
            (self.edit_terms_button, can_edit, self._edit_terms),
        ):
            button.setEnabled(allowed)
            button.clicked.connect(slot)
        if can_edit:
            self.programs_table.doubleClicked.connect(lambda _index: self._edit_program())
            self.terms_table.doubleClicked.connect(lambda _index: self._edit_terms())
        self.programs_table.itemSelectionChanged.connect(self._program_selected)
        self.terms_title = QLabel()
        self.terms_title.setStyleSheet("font-weight: bold;")
        note = short_hint(
            self.tr(
                "補助率・上限などの条件は適用期間ごとに登録します（太字は本日適用中の条件）。"
                "申請の補助額は申請日に適用中の条件で計算して保存されるため、"
                "ここで条件を変えても登録済みの申請は変わりません。"
            )
        )
        note.setWordWrap(True)
        if not can_edit:
            note.setText(note.text() + self.tr("（閲覧のみ: 変更は管理者が行います）"))

        program_buttons = QHBoxLayout()
        program_buttons.addWidget(self.add_program_button)
        program_buttons.addWidget(self.edit_program_button)
        program_buttons.addStretch(1)
        terms_buttons = QHBoxLayout()
        terms_buttons.addWidget(self.terms_title)
        terms_buttons.addStretch(1)
        terms_buttons.addWidget(self.add_terms_button)
        terms_buttons.addWidget(self.edit_terms_button)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(program_buttons)
        layout.addWidget(self.programs_table, 2)
        layout.addLayout(terms_buttons)
        layout.addWidget(self.terms_table, 3)
        self.refresh()

    def _initiative_cell(self, program: ProgramInfo) -> tuple[str, str]:
        """The initiative's code (and its title for the tooltip); 「（自動）」 when the program
        names none and applications take the one its name suggests."""
        node = self._by_id.get(program.initiative_id) if program.initiative_id else None
        if node is not None:
            return node.code, node.title
        code = initiative_code_for(program.name, program.target)
        title = next((n.title for n in self._initiatives if n.code == code), "")
        return self.tr("{0}（自動）").format(code), title

    def refresh(self, select_id: int | None = None) -> None:
        current = self.selected_program()
        select_id = select_id or (current.id if current else None)
        self._programs = self._service.programs(include_inactive=True)
        initiatives = [self._initiative_cell(p) for p in self._programs]
        rows = [
            [
                p.name,
                self.tr(p.target.label),
                code,
                self.tr("利用中") if p.active else self.tr("停止中"),
                p.notes.replace("\n", " "),
            ]
            for p, (code, _title) in zip(self._programs, initiatives, strict=True)
        ]
        fill_table(self.programs_table, rows)
        for row, (program, (_code, title)) in enumerate(
            zip(self._programs, initiatives, strict=True)
        ):
            for column, tip in ((2, title), (4, program.notes)):
                item = self.programs_table.item(row, column)
                if item is not None and tip:
                    item.setToolTip(tip)  # long titles and notes are elided in the table
        index = next((i for i, p in enumerate(self._programs) if p.id == select_id), 0)
        if self._programs:
            self.programs_table.selectRow(index)
        self._program_selected()

    def selected_program(self) -> ProgramInfo | None:
        row = selected_row(self.programs_table)
        return self._programs[row] if row is not None and row < len(self._programs) else None

    def selected_terms(self) -> TermsInfo | None:
        row = selected_row(self.terms_table)
        return self._terms[row] if row is not None and row < len(self._terms) else None

    def _program_selected(self) -> None:
        program = self.selected_program()
        self._terms = self._service.terms(program.id) if program else []
        title = (
            self.tr("補助率・上限: {0}").format(program.name)
            if program
            else self.tr("補助率・上限")
        )
        self.terms_title.setText(title)
        today = japan_today()
        in_force = frozenset(i for i, t in enumerate(self._terms) if t.in_force(today))
        fill_table(self.terms_table, [terms_cells(t) for t in self._terms], in_force)
        self.terms_table.horizontalHeader().setStretchLastSection(False)

    def _add_program(self) -> None:
        dialog = ProgramDialog(self._service, self._initiatives, parent=self)
        dialog.saved.connect(lambda program_id: self.refresh(program_id))
        dialog.exec()

    def _edit_program(self) -> None:
        program = self.selected_program()
        if program is None:
            return
        dialog = ProgramDialog(self._service, self._initiatives, program, parent=self)
        dialog.saved.connect(lambda program_id: self.refresh(program_id))
        dialog.exec()

    def _add_terms(self) -> None:
        program = self.selected_program()
        if program is None:
            return
        newest = self._terms[0] if self._terms else None
        dialog = TermsDialog(self._service, program, newest=newest, parent=self)
        dialog.saved.connect(lambda _id: self._program_selected())
        dialog.exec()

    def _edit_terms(self) -> None:
        program, terms = self.selected_program(), self.selected_terms()
        if program is None or terms is None:
            return
        dialog = TermsDialog(self._service, program, terms, parent=self)
        dialog.saved.connect(lambda _id: self._program_selected())
        dialog.exec()
