"""取り込み: the import wizard — the file, a preview with the detected encoding and the column
mapping, every error, a confirmation, the import itself with a progress bar, and a summary.

- Reading the file and checking every row (the preview) and the import itself run on worker
  threads (``BackgroundRunner``); the window stays responsive with a file of 100,000 rows.
- The service decides everything: the preview is ``ImportService.preview`` (nothing written),
  the import ``ImportService.run`` (all or nothing unless 誤りのある行を除く is chosen).
- Changing a column's mapping checks the file again with the new mapping.
- 中止 (or closing the window) raises from the progress callback: the service rolls the whole
  import back, so nothing is written.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from consult_desk.domain.errors import DomainError
from consult_desk.domain.import_values import COLUMNS, IGNORE, ImportKind, RowError, shorten
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services.imports import (
    PERMISSION_KINDS,
    ImportFileError,
    ImportOptions,
    ImportPreview,
    ImportRejected,
    ImportResult,
    ImportService,
)
from consult_desk.ui.messages import error_text, text_for
from consult_desk.ui.widgets.background import BackgroundRunner
from consult_desk.ui.widgets.tables import make_table_widget

log = logging.getLogger(__name__)

ERROR_STYLE = "color: #b00020;"
ERROR_COLOR = "#b00020"
MUTED_COLOR = "#666666"
FILE_FILTER = "CSV・Excel（*.csv *.xlsx *.txt）;;すべてのファイル（*）"
MAX_ERRORS_SHOWN = 1000  # the error list past this says 「ほか N 件」 (the counts stay exact)
UNCHOSEN = "\x00unchosen"  # a mapping combo's first item: an unknown column nobody mapped yet
# What ``create_missing`` adds for each kind, and the permission each needs (the service's
# rule, repeated here only to show or hide the option).
MASTER_OPTIONS: dict[ImportKind, tuple[str, tuple[tuple[Kind, Action], ...]]] = {
    ImportKind.CONSULTATIONS: (
        "未登録の担当者を職員として登録する",
        ((Kind.STAFF, Action.ADMINISTER),),
    ),
    ImportKind.LOANS: (
        "未登録の金融機関・資金種別を新しく登録する",
        ((Kind.MASTER, Action.CREATE),),
    ),
}


class ImportCancelled(Exception):
    """Raised from the progress callback when the user stops the import."""


def import_kinds(principal: Principal) -> list[ImportKind]:
    """The kinds this principal may import (the service checks again)."""
    kinds = []
    for kind in ImportKind:
        permission = PERMISSION_KINDS[kind]
        if not principal.can(permission, Action.CREATE):
            continue
        if kind is ImportKind.LOANS and not principal.can(permission, Action.TRANSITION):
            continue
        kinds.append(kind)
    return kinds


def may_update(principal: Principal, kind: ImportKind) -> bool:
    return kind is ImportKind.BUSINESSES and principal.can(Kind.BUSINESS, Action.EDIT)


def may_create_missing(principal: Principal, kind: ImportKind) -> bool:
    option = MASTER_OPTIONS.get(kind)
    return option is not None and all(principal.can(k, a) for k, a in option[1])


def header_errors(errors: tuple[RowError, ...]) -> list[RowError]:
    """The header's problems (row 1) and a file without rows (row 0): never skippable."""
    return [e for e in errors if e.row <= 1]


def _item(text: str, *, right: bool = False, error: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if error:
        item.setForeground(Qt.GlobalColor.darkRed)
    return item


def fill_errors(table: QTableWidget, errors: tuple[RowError, ...]) -> None:
    """行 / 列 / 値 / 理由, the first MAX_ERRORS_SHOWN of them."""
    shown = errors[:MAX_ERRORS_SHOWN]
    table.setRowCount(len(shown))
    for row, error in enumerate(shown):
        where = f"{error.row}" if error.row else "—"
        table.setItem(row, 0, _item(where, right=True))
        table.setItem(row, 1, _item(error.column))
        table.setItem(row, 2, _item(shorten(error.value)))
        table.setItem(row, 3, _item(error.reason))


def error_table() -> QTableWidget:
    table = make_table_widget(["行", "列", "値", "理由"], (48, 110, 150), row_height=24)
    table.setObjectName("importErrors")
    table.setWordWrap(True)
    # Heights follow the reason column's width as the dialog is resized, so a wrapped reason is
    # never cut off (the table holds at most MAX_ERRORS_SHOWN rows).
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def open_folder(path: Path) -> bool:
    """The folder holding ``path`` in the PC's file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


class _ProgressRelay(QObject):
    """Carries the progress callback's calls from the worker thread to the page (queued)."""

    changed = Signal(int, int)


@dataclass
class _Choice:
    """One file column's row of the mapping grid."""

    title: str
    label: QLabel
    combo: QComboBox
    example: QLabel


# --- 1. the file ------------------------------------------------------------------------------


class FilePage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(self.tr("取り込むファイル"))
        self.setSubTitle(
            self.tr(
                "CSV（UTF-8 または Shift_JIS）か Excel（xlsx の最初のシート）を選んでください。"
                "1行目が見出しです。列の順番は問いません。"
            )
        )
        kinds_box = QGroupBox(self.tr("取り込むもの"))
        kinds_layout = QHBoxLayout(kinds_box)
        self.kind_group = QButtonGroup(self)
        self.kind_buttons: dict[ImportKind, QRadioButton] = {}
        for number, kind in enumerate(wizard.kinds):
            button = QRadioButton(kind.label)
            self.kind_group.addButton(button, number)
            self.kind_buttons[kind] = button
            kinds_layout.addWidget(button)
        kinds_layout.addStretch(1)
        self.columns_label = QLabel()
        self.columns_label.setWordWrap(True)
        self.columns_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText(self.tr("ファイルの場所（「参照…」で選ぶか、貼り付け）"))
        self.path_edit.setClearButtonEnabled(True)
        self.browse_button = QPushButton(self.tr("参照…"))
        self.browse_button.clicked.connect(self.browse)
        self.path_error = QLabel()
        self.path_error.setStyleSheet(ERROR_STYLE)
        self.path_error.hide()
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse_button)

        options_box = QGroupBox(self.tr("オプション"))
        options_layout = QVBoxLayout(options_box)
        self.update_check = QCheckBox(
            self.tr("同じ法人番号の事業者が登録済みなら、空欄でない列で上書きする（既定: 見送る）")
        )
        self.create_check = QCheckBox()
        self.no_options = QLabel(self.tr("この種類に選べるオプションはありません。"))
        self.no_options.setObjectName("notice")
        for widget in (self.update_check, self.create_check, self.no_options):
            options_layout.addWidget(widget)
        undo_note = QLabel(
            self.tr(
                "取り込んだ記録は画面左下の「取込の履歴…」から取込ごとに取り消せます"
                "（後から登録した記録がそれを使っていない場合）。"
            )
        )
        undo_note.setWordWrap(True)
        undo_note.setObjectName("notice")

        layout = QVBoxLayout(self)
        layout.addWidget(kinds_box)
        layout.addWidget(self.columns_label)
        layout.addSpacing(6)
        layout.addWidget(QLabel(self.tr("ファイル")))
        layout.addLayout(file_row)
        layout.addWidget(self.path_error)
        layout.addSpacing(6)
        layout.addWidget(options_box)
        layout.addStretch(1)
        layout.addWidget(undo_note)

        self.kind_group.idToggled.connect(self._kind_toggled)
        self.path_edit.textChanged.connect(self._path_changed)
        first = wizard.kind if wizard.kind in self.kind_buttons else wizard.kinds[0]
        self.kind_buttons[first].setChecked(True)
        self._show_options()

    def kind(self) -> ImportKind:
        return self._wizard.kinds[max(self.kind_group.checkedId(), 0)]

    def path(self) -> Path | None:
        text = self.path_edit.text().strip().strip('"')
        return Path(text).expanduser() if text else None

    def browse(self) -> None:
        start = str(self.path() or self._wizard.folder or Path.home())
        chosen, _ = QFileDialog.getOpenFileName(
            self, self.tr("取り込むファイルを選ぶ"), start, FILE_FILTER
        )
        if chosen:
            self.path_edit.setText(chosen)

    def _kind_toggled(self, _id: int, checked: bool) -> None:
        if checked:
            self._show_options()
            self.completeChanged.emit()

    def _show_options(self) -> None:
        kind = self.kind()
        principal = self._wizard.principal
        columns = "、".join(f"{c.name}（必須）" if c.required else c.name for c in COLUMNS[kind])
        self.columns_label.setText(self.tr("列: {0}").format(columns))
        updating = may_update(principal, kind)
        creating = may_create_missing(principal, kind)
        self.update_check.setVisible(updating)
        self.create_check.setVisible(creating)
        if creating:
            self.create_check.setText(self.tr(MASTER_OPTIONS[kind][0]))
        self.no_options.setVisible(not (updating or creating))

    def _path_changed(self) -> None:
        self.path_error.hide()
        self.completeChanged.emit()

    def initializePage(self) -> None:
        self.path_edit.setFocus()

    def isComplete(self) -> bool:
        return self.path() is not None

    def validatePage(self) -> bool:
        path = self.path()
        if path is None or not path.is_file():
            self.path_error.setText(self.tr("ファイルが見つかりません。場所を確認してください。"))
            self.path_error.show()
            return False
        wizard = self._wizard
        wizard.set_source(
            self.kind(),
            path,
            update=not self.update_check.isHidden() and self.update_check.isChecked(),
            create_missing=not self.create_check.isHidden() and self.create_check.isChecked(),
        )
        return True


# --- 2. the preview ---------------------------------------------------------------------------


class PreviewPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.preview: ImportPreview | None = None
        self.failure = ""  # the file could not be read (or checked)
        self._grid_for: tuple[ImportKind, tuple[str, ...]] | None = None  # the grid's file
        self._choices: list[_Choice] = []
        self.setTitle(self.tr("内容の確認"))
        self.setSubTitle(
            self.tr(
                "文字コード・列の対応・誤りを確認してください。列の対応を変えると、"
                "その対応でもう一度確認します。まだ何も取り込んでいません。"
            )
        )
        self.runner = BackgroundRunner(self)
        self.runner.finished.connect(self._previewed)
        self.runner.failed.connect(self._failed)
        self.runner.busy_changed.connect(self._busy)

        self.file_label = QLabel()
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.file_label.setStyleSheet("font-weight: bold;")
        self.encoding_label = QLabel()
        self.counts_label = QLabel()
        self.counts_label.setObjectName("count")
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(160)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(ERROR_STYLE)
        self.problem_label.hide()

        self.mapping_box = QGroupBox(self.tr("列の対応"))
        self.mapping_grid = QGridLayout()
        self.mapping_grid.setColumnStretch(2, 1)
        grid_widget = QWidget()
        grid_outer = QVBoxLayout(grid_widget)
        grid_outer.setContentsMargins(4, 4, 4, 4)
        grid_outer.addLayout(self.mapping_grid)
        grid_outer.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(grid_widget)
        self.required_label = QLabel()
        self.required_label.setWordWrap(True)
        self.required_label.setObjectName("notice")
        mapping_layout = QVBoxLayout(self.mapping_box)
        mapping_layout.addWidget(self.required_label)
        mapping_layout.addWidget(scroll, 1)

        self.errors_box = QGroupBox(self.tr("誤り"))
        self.errors = error_table()
        self.errors_more = QLabel()
        self.errors_more.hide()
        self.skip_check = QCheckBox(
            self.tr(
                "誤りのある行を除いて取り込む"
                "（除いた行は理由を付けて、元のファイルと同じフォルダに CSV で保存）"
            )
        )
        self.skip_check.toggled.connect(self._skip_toggled)
        self.no_errors = QLabel(self.tr("誤りはありません。"))
        self.no_errors.setObjectName("notice")
        errors_layout = QVBoxLayout(self.errors_box)
        errors_layout.addWidget(self.no_errors)
        errors_layout.addWidget(self.errors, 1)
        errors_layout.addWidget(self.errors_more)
        errors_layout.addWidget(self.skip_check)

        self.sample_box = QGroupBox(self.tr("先頭の行"))
        self.sample = make_table_widget([], row_height=24)
        sample_layout = QVBoxLayout(self.sample_box)
        sample_layout.addWidget(self.sample)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.errors_box)
        right.addWidget(self.sample_box)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.mapping_box)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([380, 620])
        split.setChildrenCollapsible(False)

        top = QHBoxLayout()
        top.addWidget(self.file_label)
        top.addSpacing(12)
        top.addWidget(self.encoding_label)
        top.addStretch(1)
        top.addWidget(self.busy_bar)
        top.addWidget(self.counts_label)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.problem_label)
        layout.addWidget(split, 1)

    # --- checking ---

    def initializePage(self) -> None:
        wizard = self._wizard
        self.skip_check.setChecked(wizard.skip_invalid)
        self.check()

    def cleanupPage(self) -> None:
        self.runner.cancel()  # back to the file: a check still running is dropped

    def check(self) -> None:
        """Check the file (again) with the wizard's options and mapping, on the worker."""
        wizard = self._wizard
        assert wizard.path is not None
        imports, kind, path = wizard.imports, wizard.import_kind, wizard.path
        mapping = dict(wizard.mapping)
        update, create, today = wizard.update_existing, wizard.create_missing, wizard.today
        self.preview = None
        self.failure = ""
        self.file_label.setText(path.name)
        self.counts_label.setText(self.tr("確認しています…"))
        self.problem_label.hide()
        self.completeChanged.emit()
        self.runner.start(
            lambda: imports.preview(
                kind.value, path, mapping, update=update, create_missing=create, today=today
            )
        )

    def busy(self) -> bool:
        return self.runner.busy()

    def _busy(self, busy: bool) -> None:
        # The lists stay usable (a keyboard user may be stepping through one); 次へ waits.
        self.busy_bar.setVisible(busy)

    def _failed(self, error: object) -> None:
        if isinstance(error, DomainError):  # the file cannot be read, or no permission
            self.failure = error_text(error)
        else:
            log.error("import preview failed", exc_info=error)  # type: ignore[arg-type]
            self.failure = text_for("import.failed")
        path = self._wizard.path
        self.file_label.setText(path.name if path else "")
        self.encoding_label.clear()
        self.counts_label.clear()
        self.problem_label.setText(self.failure)
        self.problem_label.show()
        self._clear()
        self.completeChanged.emit()

    def _clear(self) -> None:
        self._grid_for = None
        self._build_grid(())
        self.errors.setRowCount(0)
        self.sample.setRowCount(0)
        self.sample.setColumnCount(0)

    def _previewed(self, result: object) -> None:
        assert isinstance(result, ImportPreview)
        self.preview = preview = result
        self.file_label.setText(preview.file_name)
        self.encoding_label.setText(self.tr("文字コード: {0}").format(preview.encoding_label))
        self._show_counts(preview)
        if (preview.kind, preview.header) != self._grid_for:  # another file, or kind
            self._grid_for = (preview.kind, preview.header)
            self._build_grid(preview.header)
        self._fill_sample(preview)
        self._show_mapping(preview)
        self._show_errors(preview)
        self.completeChanged.emit()

    def _show_counts(self, preview: ImportPreview) -> None:
        existing = (
            self.tr("更新 {0:,}")
            if self._wizard.update_existing
            else self.tr("登録済みのため見送り {0:,}")
        ).format(preview.existing_rows)
        parts = [
            self.tr("全 {0:,} 行").format(preview.total_rows),
            self.tr("取り込める行 {0:,}").format(preview.new_rows),
        ]
        if preview.kind is ImportKind.BUSINESSES:
            parts.append(existing)
        parts.append(self.tr("誤りのある行 {0:,}").format(preview.invalid_rows))
        self.counts_label.setText("　".join(parts))

    # --- the mapping grid ---

    def _build_grid(self, header: tuple[str, ...]) -> None:
        self._choices = []
        while self.mapping_grid.count():  # the previous file's rows and the column titles
            item = self.mapping_grid.takeAt(0)
            if item is not None and (old := item.widget()) is not None:
                old.deleteLater()
        if not header:
            return
        for column, title in enumerate(
            (self.tr("ファイルの列"), self.tr("取り込む項目"), self.tr("1行目の値"))
        ):
            caption = QLabel(title)
            caption.setStyleSheet("font-weight: bold;")
            self.mapping_grid.addWidget(caption, 0, column)
        kind = self._wizard.import_kind
        for row, title in enumerate(header, start=1):
            label = QLabel(title)
            combo = QComboBox()
            combo.setObjectName("mapping")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.addItem(self.tr("（対応する項目なし）"), UNCHOSEN)
            for spec in COLUMNS[kind]:
                text = f"{spec.name}（必須）" if spec.required else spec.name
                combo.addItem(text, spec.name)
            combo.addItem(self.tr("取り込まない"), IGNORE)
            label.setBuddy(combo)
            example = QLabel()
            example.setStyleSheet(f"color: {MUTED_COLOR};")
            example.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            self.mapping_grid.addWidget(label, row, 0)
            self.mapping_grid.addWidget(combo, row, 1)
            self.mapping_grid.addWidget(example, row, 2)
            choice = _Choice(title, label, combo, example)
            combo.activated.connect(lambda _index, c=choice: self._chosen(c))
            self._choices.append(choice)

    def _show_mapping(self, preview: ImportPreview) -> None:
        unknown = set(preview.unknown_columns)
        duplicated = {e.column for e in preview.errors if e.code == "import.duplicate_column"}
        for choice in self._choices:
            target = preview.mapping.get(choice.title, IGNORE)
            value = UNCHOSEN if choice.title in unknown else target
            combo = choice.combo
            combo.blockSignals(True)
            combo.setCurrentIndex(max(combo.findData(value), 0))
            combo.blockSignals(False)
            wrong = choice.title in unknown or (bool(target) and target in duplicated)
            choice.label.setStyleSheet(f"color: {ERROR_COLOR}; font-weight: bold;" if wrong else "")
            choice.label.setToolTip(
                text_for("import.unknown_column") if choice.title in unknown else ""
            )
        required = [
            f"{name}" + ("" if name not in preview.missing_columns else self.tr("（ありません）"))
            for name in preview.required_columns
        ]
        self.required_label.setText(
            self.tr("必須の列: {0}").format("、".join(required) or self.tr("なし"))
        )
        self.required_label.setStyleSheet(ERROR_STYLE if preview.missing_columns else "")

    def _chosen(self, choice: _Choice) -> None:
        value = choice.combo.currentData()
        mapping = self._wizard.mapping
        if value == UNCHOSEN:
            mapping.pop(choice.title, None)
        else:
            mapping[choice.title] = str(value)
        self.check()

    def choose(self, title: str, target: str) -> None:
        """Map the file column ``title`` to ``target`` (a known column, or "" for none), as
        picking it in the column's list does."""
        choice = next(c for c in self._choices if c.title == title)
        choice.combo.setCurrentIndex(choice.combo.findData(target))
        self._chosen(choice)

    def _fill_sample(self, preview: ImportPreview) -> None:
        """The first rows, and each column's first value beside its mapping."""
        for index, choice in enumerate(self._choices):
            first = next((r[index] for r in preview.sample if index < len(r) and r[index]), "")
            choice.example.setText(shorten(first, 24))
            choice.example.setToolTip(first)
        self.sample.clear()
        self.sample.setColumnCount(len(preview.header))
        self.sample.setHorizontalHeaderLabels(list(preview.header))
        self.sample.setRowCount(len(preview.sample))
        self.sample.verticalHeader().show()
        self.sample.setVerticalHeaderLabels([str(n) for n in range(2, 2 + len(preview.sample))])
        for row, cells in enumerate(preview.sample):
            for column, cell in enumerate(cells):
                self.sample.setItem(row, column, _item(shorten(cell)))
        header = self.sample.horizontalHeader()
        header.setStretchLastSection(False)
        self.sample.resizeColumnsToContents()
        for column in range(self.sample.columnCount()):
            self.sample.setColumnWidth(column, min(self.sample.columnWidth(column), 220))
        self.sample_box.setTitle(
            self.tr("先頭の行（{0:,} 行のうち {1:,} 行）").format(
                preview.total_rows, len(preview.sample)
            )
        )

    def _show_errors(self, preview: ImportPreview) -> None:
        errors = preview.errors
        fill_errors(self.errors, errors)
        self.errors_box.setTitle(self.tr("誤り（{0:,} 件）").format(len(errors)))
        self.errors.setVisible(bool(errors))
        self.no_errors.setVisible(not errors)
        hidden = len(errors) - MAX_ERRORS_SHOWN
        self.errors_more.setText(self.tr("ほか {0:,} 件").format(hidden))
        self.errors_more.setVisible(hidden > 0)
        header = header_errors(errors)
        rows_wrong = preview.invalid_rows > 0
        self.skip_check.setVisible(rows_wrong and not header)
        problems = []
        if preview.unknown_columns:
            problems.append(
                self.tr(
                    "取り込めない列があります: {0}。左の「列の対応」で項目を選ぶか、"
                    "「取り込まない」を選んでください。"
                ).format("、".join(preview.unknown_columns))
            )
        if preview.missing_columns:
            problems.append(
                self.tr("必須の列がありません: {0}。").format("、".join(preview.missing_columns))
            )
        if any(e.code == "import.duplicate_column" for e in header):
            problems.append(text_for("import.duplicate_column"))
        if any(e.code == "import.no_rows" for e in header):
            problems.append(text_for("import.no_rows"))
        if rows_wrong and not header and not self.skip_check.isChecked():
            problems.append(
                self.tr(
                    "誤りのある行があるため、このままでは何も取り込めません。ファイルを直して"
                    "選び直すか、「誤りのある行を除いて取り込む」を選んでください。"
                )
            )
        elif not header and self.importable(preview) == 0:
            problems.append(self.tr("取り込む行がありません。"))
        self.problem_label.setText("\n".join(problems))
        self.problem_label.setVisible(bool(problems))

    def _skip_toggled(self, checked: bool) -> None:
        self._wizard.skip_invalid = checked
        if self.preview is not None:
            self._show_errors(self.preview)
        self.completeChanged.emit()

    def importable(self, preview: ImportPreview) -> int:
        """Rows the import would add or update."""
        return preview.new_rows + (preview.existing_rows if self._wizard.update_existing else 0)

    def isComplete(self) -> bool:
        preview = self.preview
        if preview is None or self.busy():
            return False
        if header_errors(preview.errors):
            return False
        if preview.invalid_rows and not self.skip_check.isChecked():
            return False
        return self.importable(preview) > 0


# --- 3. the confirmation ----------------------------------------------------------------------


class ConfirmPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(self.tr("取り込みの確認"))
        self.setSubTitle(self.tr("次の内容で取り込みます。よければ「取り込む」を押してください。"))
        self.setButtonText(QWizard.WizardButton.NextButton, self.tr("取り込む"))
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.shown: dict[str, str] = {}  # label → value, as on the page
        self.note = QLabel(
            self.tr(
                "取り込みは1回の処理で行い、途中で中止すると何も取り込みません。"
                "取り込んだ後は画面左下の「取込の履歴…」から取り消せます。"
            )
        )
        self.note.setWordWrap(True)
        self.note.setObjectName("notice")
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addWidget(self.note)

    def initializePage(self) -> None:
        wizard = self._wizard
        preview = wizard.preview_page.preview
        assert preview is not None and wizard.path is not None
        while self.form.rowCount():
            self.form.removeRow(0)
        rows: list[tuple[str, str]] = [
            (self.tr("種類"), wizard.import_kind.label),
            (self.tr("ファイル"), str(wizard.path)),
            (self.tr("文字コード"), preview.encoding_label),
            (self.tr("追加する行"), self.tr("{0:,} 件").format(preview.new_rows)),
        ]
        if preview.kind is ImportKind.BUSINESSES:
            if wizard.update_existing:
                rows.append(
                    (self.tr("更新する行"), self.tr("{0:,} 件").format(preview.existing_rows))
                )
            else:
                rows.append(
                    (
                        self.tr("見送る行（登録済み）"),
                        self.tr("{0:,} 件").format(preview.existing_rows),
                    )
                )
        if preview.invalid_rows:
            rows.append(
                (
                    self.tr("除く行（誤りあり）"),
                    self.tr("{0:,} 件（理由を付けて {1} の隣に保存）").format(
                        preview.invalid_rows, wizard.path.name
                    ),
                )
            )
        if preview.would_create:
            names = "、".join(f"{m.label}「{m.name}」" for m in preview.would_create)
            rows.append((self.tr("新しく登録するマスタ"), names))
        self.shown = dict(rows)
        for label, value in rows:
            text = QLabel(value)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.addRow(label + "：", text)


# --- 4. importing -----------------------------------------------------------------------------


class RunPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.result: ImportResult | None = None
        self.outcome = ""  # what the last attempt came to, when it did not import
        self.setTitle(self.tr("取り込み中"))
        self.setSubTitle(self.tr("「中止」を押すと、何も取り込まずに止めます。"))
        self.setCommitPage(True)  # once imported, 戻る would not take it back: the history does
        self.setButtonText(QWizard.WizardButton.CommitButton, self.tr("結果へ"))
        self.runner = BackgroundRunner(self)
        self.runner.finished.connect(self._imported)
        self.runner.failed.connect(self._failed)
        self._cancel = threading.Event()
        self._relay = _ProgressRelay(self)
        self._relay.changed.connect(self._progressed)

        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setFormat("%p%")
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.cancel_button = QPushButton(self.tr("中止"))
        self.cancel_button.clicked.connect(self.cancel)
        self.errors = error_table()
        self.errors.hide()
        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status_label)
        layout.addWidget(self.errors, 1)
        layout.addStretch(0)

    def initializePage(self) -> None:
        self.start()

    def start(self) -> None:
        wizard = self._wizard
        assert wizard.path is not None
        self.result = None
        self.outcome = ""
        self._cancel.clear()
        self.errors.hide()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status_label.setStyleSheet("")
        self.status_label.setText(self.tr("{0} を取り込んでいます…").format(wizard.path.name))
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        options = ImportOptions(
            skip_invalid=wizard.skip_invalid,
            update=wizard.update_existing,
            create_missing=wizard.create_missing,
            mapping=dict(wizard.mapping),
            today=wizard.today,
        )
        imports, kind, path = wizard.imports, wizard.import_kind, wizard.path
        self.runner.start(lambda: imports.run(kind.value, path, options, self._progress_call))
        self.update_buttons()

    def _progress_call(self, done: int, total: int) -> None:
        """The service's progress callback, on the worker thread: report, and stop if asked."""
        self._relay.changed.emit(done, total)
        if self._cancel.is_set():
            raise ImportCancelled

    def running(self) -> bool:
        return self.runner.busy()

    def cancel(self) -> None:
        """Stop the import: the next progress call raises and the service rolls back."""
        if not self.running():
            return
        self._cancel.set()
        self.cancel_button.setEnabled(False)
        self.status_label.setText(self.tr("中止しています…"))

    def _progressed(self, done: int, total: int) -> None:
        if not self.running():
            return
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _imported(self, result: object) -> None:
        assert isinstance(result, ImportResult)
        self.result = result
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.status_label.setText(self.tr("取り込みました。"))
        self._wizard.imported.emit(result)
        self.update_buttons()
        self.completeChanged.emit()
        self._wizard.next()

    def _failed(self, error: object) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        if isinstance(error, ImportCancelled):
            self.outcome = text_for("import.cancelled")
        elif isinstance(error, ImportRejected):
            self.outcome = (
                text_for("import.rejected")
                + " "
                + self.tr("誤り {0:,} 件（{1:,} 行のうち {2:,} 行）").format(
                    len(error.errors), error.total_rows, error.invalid_rows
                )
            )
            fill_errors(self.errors, error.errors)
            self.errors.show()
        elif isinstance(error, ImportFileError):
            self.outcome = text_for(error.code)
        elif isinstance(error, DomainError):
            self.outcome = error_text(error)
        else:
            log.error("import failed", exc_info=error)  # type: ignore[arg-type]
            self.outcome = text_for("import.failed")
        self.status_label.setText(self.outcome + "\n" + self.tr("「戻る」で内容の確認に戻れます。"))
        self.status_label.setStyleSheet("" if isinstance(error, ImportCancelled) else ERROR_STYLE)
        self.completeChanged.emit()
        self.update_buttons()
        self._wizard.run_ended.emit()

    def update_buttons(self) -> None:
        if self._wizard.currentPage() is not self:
            return
        running = self.running()
        wizard = self._wizard
        wizard.button(QWizard.WizardButton.BackButton).setEnabled(not running)
        wizard.button(QWizard.WizardButton.CancelButton).setEnabled(not running)

    def isComplete(self) -> bool:
        return self.result is not None

    def cleanupPage(self) -> None:
        self.errors.hide()


# --- 5. the summary ---------------------------------------------------------------------------


class SummaryPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(self.tr("取り込みの結果"))
        self.setSubTitle(self.tr("取り込みが終わりました。取り込んだ記録は各一覧に表示されます。"))
        self.shown: dict[str, str] = {}  # label → value, as on the page
        self.headline = QLabel()
        self.headline.setObjectName("pageTitle")
        self.headline.setWordWrap(True)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.rejected_label = QLabel()
        self.rejected_label.setWordWrap(True)
        self.rejected_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton(self.tr("フォルダを開く"))
        self.open_button.clicked.connect(self.open_rejected_folder)
        rejected_row = QHBoxLayout()
        rejected_row.addWidget(self.rejected_label, 1)
        rejected_row.addWidget(self.open_button)
        self.rejected_box = QGroupBox(self.tr("除いた行とその理由"))
        rejected_layout = QVBoxLayout(self.rejected_box)
        rejected_layout.addLayout(rejected_row)
        self.errors = error_table()
        rejected_layout.addWidget(self.errors, 1)
        self.undo_note = QLabel()
        self.undo_note.setWordWrap(True)
        self.undo_note.setObjectName("notice")
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addLayout(self.form)
        layout.addWidget(self.rejected_box, 1)
        layout.addStretch(0)
        layout.addWidget(self.undo_note)

    def initializePage(self) -> None:
        result = self._wizard.run_page.result
        assert result is not None
        self.headline.setText(
            self.tr("{0}を {1:,} 件取り込みました（取込番号 {2}）。").format(
                result.kind.label, result.added, result.batch_id
            )
        )
        while self.form.rowCount():
            self.form.removeRow(0)
        rows = [
            (self.tr("ファイル"), result.file_name),
            (self.tr("追加"), self.tr("{0:,} 件").format(result.added)),
        ]
        if result.kind is ImportKind.BUSINESSES:
            rows.append((self.tr("更新"), self.tr("{0:,} 件").format(result.updated)))
            rows.append((self.tr("見送り（登録済み）"), self.tr("{0:,} 件").format(result.skipped)))
        rows.append((self.tr("取り込めなかった行"), self.tr("{0:,} 件").format(result.rejected)))
        if result.created:
            names = "、".join(f"{m.label}「{m.name}」" for m in result.created)
            rows.append((self.tr("新しく登録したマスタ"), names))
        self.shown = dict(rows)
        for label, value in rows:
            text = QLabel(value)
            text.setWordWrap(True)
            self.form.addRow(label + "：", text)
        path = result.rejected_path
        self.rejected_box.setVisible(path is not None)
        if path is not None:
            self.rejected_label.setText(self.tr("理由を付けて保存しました: {0}").format(path))
            fill_errors(self.errors, result.errors)
        self.undo_note.setText(
            self.tr(
                "取り消すときは画面左下の「取込の履歴…」で取込番号 {0} を選んで"
                "「取り消す…」を押してください。"
            ).format(result.batch_id)
        )

    def open_rejected_folder(self) -> None:
        result = self._wizard.run_page.result
        if result is not None and result.rejected_path is not None:
            open_folder(result.rejected_path)


# --- the wizard -------------------------------------------------------------------------------


class ImportWizard(QWizard):
    """File → 内容の確認 → 確認 → 取り込み中 → 結果. ``imported`` tells the window to refresh its
    lists; ``today`` is the day dates are judged against (tests; default: Japan's today)."""

    imported = Signal(object)  # ImportResult
    run_ended = Signal()  # an import attempt ended without importing (cancelled, refused)

    def __init__(
        self,
        imports: ImportService,
        principal: Principal,
        parent: QWidget | None = None,
        *,
        kind: ImportKind | None = None,
        today: date | None = None,
        folder: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.imports = imports
        self.principal = principal
        self.kinds = import_kinds(principal)
        if not self.kinds:
            raise ValueError("no import kind allowed")  # the window offers no entry then
        self.kind = kind
        self.today = today
        self.folder = folder
        self.import_kind = kind or self.kinds[0]
        self.path: Path | None = None
        self.update_existing = False  # businesses: overwrite those already registered
        self.create_missing = False
        self.skip_invalid = False
        self.mapping: dict[str, str] = {}  # the user's choices: file column → column or ""
        self.setWindowTitle(self.tr("取り込み"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.resize(1100, 720)
        self.file_page = FilePage(self)
        self.preview_page = PreviewPage(self)
        self.confirm_page = ConfirmPage(self)
        self.run_page = RunPage(self)
        self.summary_page = SummaryPage(self)
        for page in (
            self.file_page,
            self.preview_page,
            self.confirm_page,
            self.run_page,
            self.summary_page,
        ):
            self.addPage(page)
        self.currentIdChanged.connect(self._page_changed)

    def _page_changed(self, _id: int) -> None:
        page = self.currentPage()
        if page is self.preview_page and not self.preview_page.busy():
            self.preview_page.check()  # back from 確認: the file may have been fixed meanwhile
        # After the wizard has set its buttons for the page: none but 中止 while importing.
        self.run_page.update_buttons()

    def set_source(
        self, kind: ImportKind, path: Path, *, update: bool, create_missing: bool
    ) -> None:
        """What the file page chose; a new file or kind starts the mapping afresh."""
        if (kind, path) != (self.import_kind, self.path):
            self.mapping = {}
            self.skip_invalid = False
        self.import_kind = kind
        self.path = path
        self.folder = path.parent
        self.update_existing = update
        self.create_missing = create_missing

    def reject(self) -> None:
        """Closing while importing stops the import first (nothing is written)."""
        if self.run_page.running():
            self.run_page.cancel()
            return
        super().reject()

    def done(self, result: int) -> None:
        # A check still running is dropped; wait for it so no job outlives the window.
        for runner in (self.preview_page.runner, self.run_page.runner):
            runner.cancel()
            runner.wait()
        super().done(result)
