"""商店街（振興組合・商店会）の登録・編集: the association, its towns and its member counts
per 年度, with inline validation, the unsaved-changes guard and conflict handling."""

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.businesses import Area
from consult_desk.domain.errors import Conflict, DomainError, FieldError, ValidationError
from consult_desk.domain.fiscal import fiscal_year, japan_today, wareki_fiscal_year
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.reference import TownChoice
from consult_desk.domain.streets import (
    Association,
    AssociationInput,
    LegalForm,
    Membership,
    MembershipInput,
    read_numbers,
    street_area,
)
from consult_desk.domain.text import normalize, parse_int
from consult_desk.services.reference import ReferenceService
from consult_desk.services.streets import StreetService
from consult_desk.ui.messages import error_text, text_for
from consult_desk.ui.widgets.inline_fields import (
    BANNER_STYLE,
    DateEdit,
    InlineForm,
    error_label,
    hint,
    plain,
    select_data,
    set_error,
)

# Field names as the input dataclass has them, so the service's errors land in place.
LABELS = {
    "name": "商店街名 ＊",
    "name_kana": "フリガナ",
    "legal_form": "法人格",
    "corporate_number": "法人番号",
    "incorporated_on": "法人設立日",
    "town_ids": "区域（町名）",
    "area": "地域",
    "representative_name": "代表者（理事長・会長）",
    "contact_name": "連絡担当者（事務局）",
    "phone": "電話番号",
    "email": "メール",
    "address": "事務所の所在地",
    "federation_member": "商店街連合会",
    "notes": "備考",
}
LABEL_OF_COUNT = {"fiscal_year": "年度", "full_members": "正会員", "supporting_members": "賛助会員"}
YEAR, FULL, SUPPORTING, TOTAL = range(4)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True, slots=True)
class _MemberRow:
    """One line of the member-count table as typed."""

    fiscal_year: int | None  # None: the 年度 could not be read
    full: str
    supporting: str
    saved: Membership | None  # the stored counts this line corrects (None: a new 年度)


class AssociationDialog(InlineForm):
    """A new association or an existing one (``association_id``).

    - ``saved(id)`` after every save (also after archiving or bringing back);
    - the member counts are saved with the association, one 年度 per line; a 年度 already
      entered is corrected in place, a new line adds a 年度;
    - raises ``DomainError`` from the constructor when the association cannot be read.
    """

    def __init__(
        self,
        streets: StreetService,
        reference: ReferenceService,
        principal: Principal,
        association_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._streets = streets
        self._principal = principal
        self._towns: list[TownChoice] = reference.towns()
        self._town_areas = {t.id: t.area for t in self._towns}
        self._association: Association | None = None
        self._memberships: list[Membership] = []
        association = streets.get(association_id) if association_id is not None else None
        memberships = streets.memberships(association_id) if association_id is not None else []
        self.resize(1060, 720)

        self._build_widgets()
        self._build_layout()
        self._fill(association, memberships)
        action = Action.EDIT if association is not None else Action.CREATE
        if not principal.can(Kind.STREET, action):
            self.make_read_only()
        self.finish_layout()
        self.name_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- construction ---------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("例: 神田すずらん通り商店街振興組合"))
        self.kana_edit = QLineEdit()
        self.kana_edit.setPlaceholderText(self.tr("カタカナ（並べ替えに使います）"))
        self.legal_combo = QComboBox()
        for form in LegalForm:
            self.legal_combo.addItem(form.value, form.value)
        self.corporate_number_edit = QLineEdit()
        self.corporate_number_edit.setPlaceholderText(self.tr("13桁"))
        self.corporate_number_edit.setMaximumWidth(200)
        self.corporate_hint = hint()
        self.incorporated_edit = DateEdit()
        self.town_filter = QLineEdit()
        self.town_filter.setPlaceholderText(self.tr("町名で絞り込み"))
        self.town_filter.setClearButtonEnabled(True)
        self.town_filter.textChanged.connect(self._filter_towns)
        self.town_list = QListWidget()
        self.town_list.setMinimumHeight(150)
        metrics = self.town_list.fontMetrics()
        # A grid of names rather than one long column: the chosen towns stay in sight.
        self.town_list.setFlow(QListWidget.Flow.LeftToRight)
        self.town_list.setWrapping(True)
        self.town_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        widest = max((metrics.horizontalAdvance(t.name) for t in self._towns), default=80)
        self.town_list.setGridSize(QSize(widest + 34, metrics.height() + 6))
        for town in self._towns:
            item = QListWidgetItem(town.name)
            item.setToolTip(town.area)
            item.setData(Qt.ItemDataRole.UserRole, town.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.town_list.addItem(item)
        self.towns_chosen = hint()
        self.area_combo = QComboBox()
        self.area_combo.addItem(self.tr("町名から自動"), None)
        for area in (Area.KOJIMACHI, Area.KANDA):
            self.area_combo.addItem(area.value, area.value)
        self.area_hint = hint()
        self.representative_edit = QLineEdit()
        self.contact_edit = QLineEdit()
        self.phone_edit = QLineEdit()
        self.phone_edit.setPlaceholderText(self.tr("例: 03-3291-0000"))
        self.phone_edit.setMaximumWidth(200)
        self.email_edit = QLineEdit()
        self.address_edit = QLineEdit()
        self.federation_check = QCheckBox(self.tr("千代田区商店街連合会に加盟"))
        self.notes_edit = plain(70)

        self.members_table = QTableWidget(0, 4)
        self.members_table.setHorizontalHeaderLabels(
            [self.tr("年度"), self.tr("正会員"), self.tr("賛助会員"), self.tr("合計")]
        )
        self.members_table.verticalHeader().hide()
        self.members_table.verticalHeader().setDefaultSectionSize(24)
        self.members_table.horizontalHeader().setStretchLastSection(True)
        self.members_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.members_table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        for column, width in enumerate((150, 80, 80)):
            self.members_table.setColumnWidth(column, width)
        self.members_table.setMinimumHeight(140)
        self.members_table.itemChanged.connect(self._member_cell_changed)
        self.add_year_button = QPushButton(self.tr("年度を追加"))
        self.add_year_button.clicked.connect(self.add_year)
        self.members_error = error_label()
        self.archived_banner = QLabel(self.tr("この商店街はアーカイブ済みです。"))
        self.archived_banner.setStyleSheet(BANNER_STYLE)
        self.archive_button = QPushButton(self.tr("アーカイブ"))
        self.archive_button.setAutoDefault(False)
        self.archive_button.clicked.connect(self._toggle_archived)

    def _form(self, group: QGroupBox) -> QFormLayout:
        form = QFormLayout(group)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(5)
        return form

    def _build_layout(self) -> None:
        basic = QGroupBox(self.tr("基本情報"))
        form = self._form(basic)
        self.add_row(form, "name", LABELS["name"], self.name_edit)
        self.add_row(form, "name_kana", LABELS["name_kana"], self.kana_edit)
        self.add_row(form, "legal_form", LABELS["legal_form"], self.legal_combo)
        number = QWidget()
        number_layout = QHBoxLayout(number)
        number_layout.setContentsMargins(0, 0, 0, 0)
        number_layout.addWidget(self.corporate_number_edit)
        number_layout.addWidget(self.corporate_hint, 1)
        number.setFocusProxy(self.corporate_number_edit)
        self.add_row(
            form, "corporate_number", LABELS["corporate_number"], number, self.corporate_number_edit
        )
        self.add_row(
            form,
            "incorporated_on",
            LABELS["incorporated_on"],
            self.incorporated_edit.row(),
            self.incorporated_edit,
        )

        area_box = QGroupBox(self.tr("区域"))
        form = self._form(area_box)
        towns = QWidget()
        towns_layout = QVBoxLayout(towns)
        towns_layout.setContentsMargins(0, 0, 0, 0)
        towns_layout.setSpacing(2)
        towns_layout.addWidget(self.town_filter)
        towns_layout.addWidget(self.town_list)
        towns_layout.addWidget(self.towns_chosen)
        towns.setFocusProxy(self.town_filter)
        self.add_row(form, "town_ids", LABELS["town_ids"], towns, self.town_list)
        area = QWidget()
        area_layout = QHBoxLayout(area)
        area_layout.setContentsMargins(0, 0, 0, 0)
        area_layout.addWidget(self.area_combo)
        area_layout.addWidget(self.area_hint, 1)
        area.setFocusProxy(self.area_combo)
        self.add_row(form, "area", LABELS["area"], area, self.area_combo)

        contact = QGroupBox(self.tr("代表者・連絡先"))
        form = self._form(contact)
        for name, widget in (
            ("representative_name", self.representative_edit),
            ("contact_name", self.contact_edit),
            ("phone", self.phone_edit),
            ("email", self.email_edit),
            ("address", self.address_edit),
        ):
            self.add_row(form, name, LABELS[name], widget)
        self.add_row(form, "federation_member", LABELS["federation_member"], self.federation_check)
        self.add_row(form, "notes", LABELS["notes"], self.notes_edit)

        members = QGroupBox(self.tr("会員数（年度ごと）"))
        members_layout = QVBoxLayout(members)
        members_layout.addWidget(
            hint(self.tr("数字をダブルクリックして修正します。新しい年度は「年度を追加」から。"))
        )
        members_layout.addWidget(self.members_table, 1)
        members_layout.addWidget(self.members_error)
        members_layout.addWidget(self.add_year_button, 0, Qt.AlignmentFlag.AlignRight)
        self.error_labels["memberships"] = self.members_error

        left = QVBoxLayout()
        left.addWidget(basic)
        left.addWidget(area_box, 1)
        right = QVBoxLayout()
        right.addWidget(contact)
        right.addWidget(members, 1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.archive_button)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.archived_banner)
        layout.addWidget(self.conflict_bar)
        layout.addLayout(columns, 1)
        layout.addWidget(self.general_error)
        layout.addLayout(bottom)
        self.legal_combo.currentIndexChanged.connect(self._legal_form_changed)

    # --- loading --------------------------------------------------------------------------

    def _fill(self, association: Association | None, memberships: list[Membership]) -> None:
        self._association = association
        self._memberships = memberships
        value = association.input if association else AssociationInput(name="", legal_form="")

        def fill() -> None:
            self.name_edit.setText(value.name)
            self.kana_edit.setText(value.name_kana)
            select_data(self.legal_combo, value.legal_form or LegalForm.PROMOTION_UNION.value)
            self.corporate_number_edit.setText(value.corporate_number)
            self.incorporated_edit.set_date(value.incorporated_on)
            chosen = set(value.town_ids)
            for row in range(self.town_list.count()):
                item = self.town_list.item(row)
                checked = item.data(Qt.ItemDataRole.UserRole) in chosen
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            select_data(self.area_combo, value.area if value.area != Area.UNSET else None)
            self.representative_edit.setText(value.representative_name)
            self.contact_edit.setText(value.contact_name)
            self.phone_edit.setText(value.phone)
            self.email_edit.setText(value.email)
            self.address_edit.setText(value.address)
            self.federation_check.setChecked(value.federation_member)
            self.notes_edit.setPlainText(value.notes)
            self._fill_members(memberships)

        self.load(fill)
        self._legal_form_changed()
        self._update_title()
        self._update_archive_state()

    def _fill_members(self, memberships: list[Membership]) -> None:
        table = self.members_table
        table.blockSignals(True)
        table.setRowCount(0)
        for membership in memberships:
            self._append_member_row(
                membership.fiscal_year,
                str(membership.full_members),
                str(membership.supporting_members),
                saved=True,
            )
        table.blockSignals(False)

    def _append_member_row(self, year: int, full: str, supporting: str, saved: bool) -> int:
        table = self.members_table
        row = table.rowCount()
        table.insertRow(row)
        label = f"{wareki_fiscal_year(year)}（{year}）" if saved else str(year)
        year_item = QTableWidgetItem(label)
        year_item.setData(Qt.ItemDataRole.UserRole, year if saved else None)
        if saved:  # the 年度 identifies the stored counts: corrected in place, never moved
            year_item.setFlags(year_item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        table.setItem(row, YEAR, year_item)
        for column, text in ((FULL, full), (SUPPORTING, supporting)):
            item = QTableWidgetItem(text)
            item.setTextAlignment(_RIGHT)
            table.setItem(row, column, item)
        total = QTableWidgetItem()
        total.setFlags(total.flags() & ~Qt.ItemFlag.ItemIsEditable)
        total.setTextAlignment(_RIGHT)
        table.setItem(row, TOTAL, total)
        self._update_total(row)
        return row

    def reload_record(self) -> None:
        if self._association is None:
            return
        try:
            association = self._streets.get(self._association.id)
            memberships = self._streets.memberships(self._association.id)
        except DomainError as error:
            set_error(self.general_error, error_text(error))
            return
        self._fill(association, memberships)

    def _update_title(self) -> None:
        if self._association is None:
            self.setWindowTitle(self.tr("商店街の登録"))
        elif self.read_only:
            self.setWindowTitle(
                self.tr("商店街の詳細（閲覧のみ）: {0}").format(self._association.input.name)
            )
        else:
            self.setWindowTitle(self.tr("商店街の編集: {0}").format(self._association.input.name))

    def _update_archive_state(self) -> None:
        association = self._association
        editable = self._principal.can(Kind.STREET, Action.EDIT)
        self.archive_button.setVisible(association is not None and editable)
        self.archived_banner.setVisible(association is not None and association.archived)
        if association is not None:
            self.archive_button.setText(
                self.tr("アーカイブ解除") if association.archived else self.tr("アーカイブ")
            )

    def make_read_only(self) -> None:
        super().make_read_only()
        self.members_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.add_year_button.hide()
        self.town_filter.setEnabled(True)  # looking through the towns is still reading
        self.town_list.setEnabled(True)
        for row in range(self.town_list.count()):
            item = self.town_list.item(row)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
        self._update_title()

    # --- reading the form -----------------------------------------------------------------

    def _legal_form(self) -> LegalForm:
        return LegalForm(self.legal_combo.currentData())

    def _checked_towns(self) -> tuple[int, ...]:
        return tuple(
            int(item.data(Qt.ItemDataRole.UserRole))
            for row in range(self.town_list.count())
            if (item := self.town_list.item(row)).checkState() == Qt.CheckState.Checked
        )

    def collect(self) -> tuple[object, dict[str, str]]:
        parse_errors: dict[str, str] = {}
        numbered = self._legal_form().may_have_corporate_number
        incorporated: date | None = None
        if numbered:
            try:
                incorporated = self.incorporated_edit.date_value()
            except ValueError:
                parse_errors["incorporated_on"] = "date.format"
        value = AssociationInput(
            name=self.name_edit.text(),
            legal_form=self.legal_combo.currentData(),
            name_kana=self.kana_edit.text(),
            # A 任意商店会 has neither: the greyed-out fields are not saved (the hint says so).
            corporate_number=self.corporate_number_edit.text() if numbered else "",
            incorporated_on=incorporated,
            area=self.area_combo.currentData(),
            town_ids=self._checked_towns(),
            representative_name=self.representative_edit.text(),
            contact_name=self.contact_edit.text(),
            phone=self.phone_edit.text(),
            email=self.email_edit.text(),
            address=self.address_edit.text(),
            federation_member=self.federation_check.isChecked(),
            notes=self.notes_edit.toPlainText(),
        ).normalized()
        if problems := self._member_problems():
            parse_errors["memberships"] = problems[0].code
        return value, parse_errors

    def rule_errors(self, value: object) -> list[FieldError]:
        assert isinstance(value, AssociationInput)
        areas = {self._town_areas[t] for t in value.town_ids if t in self._town_areas}
        return value.errors(japan_today(), town_areas=areas)

    def member_rows(self) -> list[_MemberRow]:
        saved = {m.fiscal_year: m for m in self._memberships}
        rows = []
        for row in range(self.members_table.rowCount()):
            year_item = self.members_table.item(row, YEAR)
            stored = year_item.data(Qt.ItemDataRole.UserRole) if year_item else None
            year: int | None = stored
            if stored is None:
                text = normalize(year_item.text() if year_item else "").removesuffix("年度")
                try:
                    year = parse_int(text)
                except ValueError:
                    year = None
            cells = [self.members_table.item(row, c) for c in (FULL, SUPPORTING)]
            full, supporting = (item.text() if item else "" for item in cells)
            rows.append(_MemberRow(year, full, supporting, saved.get(stored) if stored else None))
        return rows

    def _member_input(self, row: _MemberRow) -> tuple[MembershipInput | None, list[FieldError]]:
        numbers, errors = read_numbers(
            {"full_members": row.full, "supporting_members": row.supporting}
        )
        if row.fiscal_year is None:
            errors.append(FieldError("fiscal_year", "number.format"))
        if errors:
            return None, errors
        assert row.fiscal_year is not None
        value = MembershipInput(
            row.fiscal_year, numbers["full_members"] or 0, numbers["supporting_members"] or 0
        )
        return value, value.errors(japan_today())

    def _member_problems(self) -> list[FieldError]:
        """Every problem of the table, each carrying the line's 年度 in its field name."""
        found: list[FieldError] = []
        years: set[int] = set()
        for number, row in enumerate(self.member_rows(), start=1):
            _value, errors = self._member_input(row)
            where = f"{row.fiscal_year}年度" if row.fiscal_year else f"{number}行目"
            found += [FieldError(f"{where}|{e.field}", e.code) for e in errors]
            if row.fiscal_year is not None:
                if row.fiscal_year in years:
                    found.append(FieldError(f"{where}|fiscal_year", "street.membership_exists"))
                years.add(row.fiscal_year)
        return found

    def state(self) -> object:
        rows = tuple((r.fiscal_year, r.full, r.supporting) for r in self.member_rows())
        return super().state(), rows

    def after_revalidate(self, value: object) -> None:
        problems = self._member_problems()
        lines = []
        for problem in problems:
            where, name = problem.field.split("|")
            lines.append(f"{where} {LABEL_OF_COUNT.get(name, '')}: {text_for(problem.code)}")
        if lines or not self.members_error.text():
            set_error(self.members_error, "\n".join(lines))
        self._update_derived(value)

    def _update_derived(self, value: object) -> None:
        if not isinstance(value, AssociationInput):
            return
        areas = [self._town_areas[t] for t in value.town_ids if t in self._town_areas]
        names = [t.name for t in self._towns if t.id in set(value.town_ids)]
        self.towns_chosen.setText(
            self.tr("選択中: {0}").format("、".join(names)) if names else self.tr("未選択")
        )
        if value.area is None:
            self.area_hint.setText(self.tr("→ {0}").format(street_area(None, areas)))
        else:
            self.area_hint.setText("")
        voluntary = not self._legal_form().may_have_corporate_number
        typed = bool(self.corporate_number_edit.text().strip() or self.incorporated_edit.text())
        self.corporate_hint.setText(
            self.tr("任意商店会には法人番号がありません（保存すると消去されます）。")
            if voluntary and typed
            else ""
        )

    # --- changes --------------------------------------------------------------------------

    def _legal_form_changed(self, *_: object) -> None:
        numbered = self._legal_form().may_have_corporate_number
        editable = numbered and not self.read_only
        self.corporate_number_edit.setEnabled(editable)
        self.incorporated_edit.setEnabled(editable)
        tip = "" if numbered else self.tr("任意商店会には法人番号・法人設立日がありません")
        self.corporate_number_edit.setToolTip(tip)
        self.incorporated_edit.setToolTip(tip)
        if not self._loading:
            self.revalidate()

    def _filter_towns(self, text: str) -> None:
        wanted = normalize(text)
        for row in range(self.town_list.count()):
            item = self.town_list.item(row)
            item.setHidden(bool(wanted) and wanted not in item.text())

    def _member_cell_changed(self, item: QTableWidgetItem) -> None:
        if item.column() in (FULL, SUPPORTING):
            self._update_total(item.row())
        if not self._loading:
            self.revalidate()

    def _update_total(self, row: int) -> None:
        table = self.members_table
        cells = [table.item(row, c) for c in (FULL, SUPPORTING)]
        numbers, errors = read_numbers({str(i): c.text() if c else "" for i, c in enumerate(cells)})
        total = table.item(row, TOTAL)
        if total is None:
            return
        blocked = table.blockSignals(True)
        total.setText("" if errors else f"{sum(n or 0 for n in numbers.values()):,}")
        table.blockSignals(blocked)

    def add_year(self) -> int:
        """A line for a 年度 not entered yet (the one after the latest, else this 年度)."""
        years = [r.fiscal_year for r in self.member_rows() if r.fiscal_year is not None]
        year = max(years) + 1 if years else fiscal_year(japan_today())
        self.members_table.blockSignals(True)
        row = self._append_member_row(year, "", "", saved=False)
        self.members_table.blockSignals(False)
        self.members_table.setCurrentCell(row, FULL)
        self.members_table.setFocus()
        self.revalidate()
        return row

    # --- saving ---------------------------------------------------------------------------

    def submit(self, value: object) -> int:
        assert isinstance(value, AssociationInput)
        if self._association is None:
            association_id = self._streets.add(value)
        else:
            association_id = self._association.id
            self._streets.update(association_id, self._association.version, value)
        # From here on the association exists: a retry after a member-count problem updates it.
        self._association = self._streets.get(association_id)
        self._update_title()
        self._update_archive_state()
        saved = {m.fiscal_year: m for m in self._memberships}
        try:
            for row in self.member_rows():
                membership, _errors = self._member_input(row)
                assert membership is not None  # checked before submit
                stored = saved.get(membership.fiscal_year) if row.saved else None
                if stored is not None and stored.as_input() == membership:
                    continue
                result = self._streets.set_membership(
                    association_id, membership, stored.version if stored else None
                )
                saved[result.fiscal_year] = result
        except ValidationError as error:
            self.saved.emit(association_id)  # the association itself was saved
            raise ValidationError(
                [FieldError("memberships", e.code) for e in error.errors]
            ) from error
        finally:
            self._memberships = sorted(saved.values(), key=lambda m: -m.fiscal_year)
            self._mark_saved_rows()
        return association_id

    def _mark_saved_rows(self) -> None:
        """Lines whose 年度 is now stored become fixed lines like the others."""
        stored = {m.fiscal_year for m in self._memberships}
        table = self.members_table
        blocked = table.blockSignals(True)
        for row, typed in enumerate(self.member_rows()):
            item = table.item(row, YEAR)
            if item is None or typed.saved is not None or typed.fiscal_year not in stored:
                continue
            assert typed.fiscal_year is not None
            item.setData(Qt.ItemDataRole.UserRole, typed.fiscal_year)
            item.setText(f"{wareki_fiscal_year(typed.fiscal_year)}（{typed.fiscal_year}）")
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        table.blockSignals(blocked)

    def _toggle_archived(self) -> None:
        association = self._association
        if association is None:
            return
        try:
            self._streets.archive(association.id, association.version, not association.archived)
            self._association = self._streets.get(association.id)
        except Conflict:
            self.show_conflict()
            return
        except DomainError as error:
            set_error(self.general_error, error_text(error))
            return
        self._update_archive_state()
        self.saved.emit(association.id)
