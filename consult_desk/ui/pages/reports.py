"""帳票: choose a report and its period, make it off the GUI thread, look at it in the app, then
save it (PDF, Excel or JSON), open it in the PC's PDF viewer or print it.

- 「作成」 (or Enter) hands a ``ReportRequest`` to a worker thread, which reads the report data
  (``ReportingService``), lays it out as a PDF (``ReportFileService.render``) and draws the pages
  for the preview; 「中止」 abandons the result. The window stays usable meanwhile.
- Saving writes the same report object again in the chosen format (``ReportFileService.write``,
  audited as a print), so every file shows the figures the preview showed.
- Characters the bundled font cannot draw are printed as 〓 and named above the preview.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QDir, QStandardPaths, Qt, QTemporaryDir, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QKeySequence, QShortcut
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import DomainError
from consult_desk.domain.fiscal import (
    fiscal_year,
    fiscal_year_range,
    format_date,
    japan_today,
    wareki_fiscal_year,
    wareki_month,
)
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.reference import InitiativeNode
from consult_desk.reports.document import RenderOptions
from consult_desk.services.businesses import BusinessService
from consult_desk.services.report_files import ReportFileService, ReportFormat
from consult_desk.services.reporting import ReportingService
from consult_desk.services.settings import SettingsService
from consult_desk.ui.messages import error_text, text_for
from consult_desk.ui.widgets.background import BackgroundRunner
from consult_desk.ui.widgets.business_picker import BusinessPicker
from consult_desk.ui.widgets.inline_fields import (
    ERROR_STYLE,
    HINT_STYLE,
    WARNING_STYLE,
    DateEdit,
)
from consult_desk.ui.widgets.pdf_view import (
    PdfPreview,
    page_count,
    prepare_printer,
    print_pdf,
    render_pages,
)

log = logging.getLogger(__name__)

MONTHS_OFFERED = 36  # the month list: this month and the 35 before it
FORM_WIDTH = 330
_UNSAFE = str.maketrans({c: "＿" for c in '\\/:*?"<>|'})
FILTERS = {
    ReportFormat.PDF: "PDF (*.pdf)",
    ReportFormat.XLSX: "Excel (*.xlsx)",
    ReportFormat.JSON: "JSON (*.json)",
}


class ReportKind(StrEnum):
    MONTHLY = "monthly"
    FISCAL_YEAR = "fiscal_year"
    BUSINESS = "business"
    INITIATIVE = "initiative"
    OVERVIEW = "initiative_overview"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    ReportKind.MONTHLY: "月次報告",
    ReportKind.FISCAL_YEAR: "年度報告",
    ReportKind.BUSINESS: "事業者カルテ",
    ReportKind.INITIATIVE: "施策別実績",
    ReportKind.OVERVIEW: "施策別実績一覧",
}


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """What to make: the kind and the inputs that kind reads (the others keep defaults)."""

    kind: ReportKind
    year: int = 0  # 月次報告: the month's year and month
    month: int = 0
    fiscal_year: int = 0  # 年度報告
    business_id: int | None = None  # 事業者カルテ
    business_name: str = ""
    include_notes: bool = False
    initiative_code: str = ""  # 施策別実績
    first: date | None = None  # 施策別実績 / 一覧
    last: date | None = None

    def subject(self) -> str:
        """What the report is about, as its file name says it."""
        if self.kind is ReportKind.MONTHLY:
            return wareki_month(self.year, self.month)
        if self.kind is ReportKind.FISCAL_YEAR:
            return wareki_fiscal_year(self.fiscal_year)
        if self.kind is ReportKind.BUSINESS:
            return self.business_name
        period = f"{format_date(self.first)}〜{format_date(self.last)}"
        if self.kind is ReportKind.INITIATIVE:
            return f"{self.initiative_code}_{period}"
        return period

    def file_name(self, fmt: ReportFormat) -> str:
        """e.g. 月次報告_令和8年10月.pdf (characters Windows refuses replaced)."""
        stem = f"{self.kind.label}_{self.subject()}".translate(_UNSAFE).strip()
        return f"{stem}.{fmt.value}"


@dataclass(frozen=True, slots=True)
class Generated:
    request: ReportRequest
    report: object  # the report data, written again when saved
    pdf: bytes
    pages: tuple[QImage, ...]  # the preview: the first PREVIEW_PAGES pages
    page_count: int  # all of them
    missing: tuple[str, ...]  # characters printed as 〓


def build_report(reporting: ReportingService, request: ReportRequest) -> object:
    """The report data for a request (on the worker thread: the service opens its session)."""
    kind = request.kind
    if kind is ReportKind.MONTHLY:
        return reporting.monthly(request.year, request.month)
    if kind is ReportKind.FISCAL_YEAR:
        return reporting.fiscal_year(request.fiscal_year)
    if kind is ReportKind.BUSINESS:
        assert request.business_id is not None
        return reporting.business(str(request.business_id), include_notes=request.include_notes)
    assert request.first is not None and request.last is not None
    if kind is ReportKind.INITIATIVE:
        return reporting.initiative(request.initiative_code, request.first, request.last)
    return reporting.initiative_overview(request.first, request.last)


def generate(
    reporting: ReportingService,
    files: ReportFileService,
    request: ReportRequest,
    options: RenderOptions,
) -> Generated:
    """Read, lay out and draw a report (on the worker thread). Nothing is written or audited:
    the preview stays in memory until the user saves or prints it."""
    report = build_report(reporting, request)
    rendered = files.render(report, ReportFormat.PDF, options)
    pages = tuple(render_pages(rendered.data))
    total = page_count(rendered.data)
    return Generated(request, report, rendered.data, pages, total, rendered.missing)


def _months(today: date) -> list[tuple[int, int]]:
    year, month = today.year, today.month
    found = []
    for _ in range(MONTHS_OFFERED):
        found.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found


class ReportsPage(QWidget):
    """The 帳票 page; ``prefill`` lets another page (施策) ask for a report."""

    def __init__(
        self,
        reporting: ReportingService,
        files: ReportFileService,
        businesses: BusinessService | None,
        settings: SettingsService,
        initiatives: list[InitiativeNode],
        principal: Principal,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._reporting = reporting
        self._files = files
        self._settings = settings
        self._principal = principal
        self.result: Generated | None = None
        self._temp = QTemporaryDir()
        self._folder = (
            QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
            or QDir.homePath()
        )
        self.runner = BackgroundRunner(self)
        self.runner.finished.connect(self._generated)
        self.runner.failed.connect(self._failed)
        self.runner.busy_changed.connect(self._busy)

        title = QLabel(self.tr("帳票"))
        title.setObjectName("pageTitle")
        today = japan_today()
        self.kind_combo = QComboBox()
        for kind in ReportKind:
            if kind is ReportKind.BUSINESS and businesses is None:
                continue  # a role that may not read businesses has no カルテ to make
            self.kind_combo.addItem(self.tr(kind.label), kind)
        self.month_combo = QComboBox()
        for year, month in _months(today):
            self.month_combo.addItem(wareki_month(year, month), (year, month))
        self.month_combo.setCurrentIndex(1)  # last month: the one reported on
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setSuffix(self.tr(" 年度"))
        self.year_spin.setValue(fiscal_year(today))
        self.year_hint = QLabel()
        self.year_hint.setStyleSheet(HINT_STYLE)
        self.year_spin.valueChanged.connect(self._year_changed)
        self._year_changed(self.year_spin.value())
        self.business_picker = BusinessPicker(businesses) if businesses is not None else None
        self.notes_check = QCheckBox(self.tr("内部メモを含める(&N)"))
        self.notes_check.setToolTip(
            self.tr("相談の対応メモや案件の備考など、職員向けのメモも載せます。")
        )
        self.initiative_combo = QComboBox()
        self.initiative_combo.setMinimumContentsLength(18)
        self.initiative_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        for node in initiatives:
            self.initiative_combo.addItem(f"{node.code}　{node.title}", node.code)
            self.initiative_combo.setItemData(
                self.initiative_combo.count() - 1, node.title, Qt.ItemDataRole.ToolTipRole
            )
        first, _ = fiscal_year_range(fiscal_year(today))
        self.from_edit = DateEdit(first)
        self.to_edit = DateEdit(today)
        for edit in (self.from_edit, self.to_edit):
            edit.setMaximumWidth(150)

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.addRow(self.tr("種類(&K)"), self.kind_combo)
        self.form.addRow(self.tr("対象月(&M)"), self.month_combo)
        self.form.addRow(self.tr("年度(&Y)"), self._with_hint(self.year_spin, self.year_hint))
        if self.business_picker is not None:
            self.form.addRow(self.tr("事業者(&B)"), self.business_picker)
            self.form.addRow("", self.notes_check)
        self.form.addRow(self.tr("施策(&I)"), self.initiative_combo)
        self.form.addRow(self.tr("期間 開始(&F)"), self.from_edit.row())
        self.form.addRow(self.tr("期間 終了(&T)"), self.to_edit.row())
        self.input_error = QLabel()
        self.input_error.setStyleSheet(ERROR_STYLE)
        self.input_error.setWordWrap(True)
        self.input_error.hide()
        self.dates_label = QLabel()
        self.dates_label.setStyleSheet(HINT_STYLE)
        self.dates_label.setWordWrap(True)

        self.generate_button = QPushButton(self.tr("作成(&G)"))
        self.generate_button.setToolTip(self.tr("Enter でも作成します"))
        self.generate_button.setStyleSheet("QPushButton { font-weight: bold; }")
        self.generate_button.clicked.connect(self.generate)
        self.cancel_button = QPushButton(self.tr("中止(&C)"))
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)

        self.save_button = QPushButton(self.tr("保存(&S)…"))
        self.open_button = QPushButton(self.tr("外部ビューアで開く(&O)"))
        self.print_button = QPushButton(self.tr("印刷(&P)…"))
        self.save_button.clicked.connect(self.save_as)
        self.open_button.clicked.connect(self.open_external)
        self.print_button.clicked.connect(self.print_report)
        self.page_label = QLabel()
        self.warning_label = QLabel()
        self.warning_label.setStyleSheet(WARNING_STYLE)
        self.warning_label.setWordWrap(True)
        self.warning_label.hide()
        self.preview = PdfPreview()
        self.empty_label = QLabel(
            self.tr("左で帳票の種類と期間を選び、「作成」を押すと、ここに表示されます。")
        )
        self.empty_label.setObjectName("notice")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)

        self._build_layout(title)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self._update_buttons()
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.form_panel, self.generate)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.cancel).setContext(
            Qt.ShortcutContext.WidgetWithChildrenShortcut
        )
        QShortcut(QKeySequence.StandardKey.Print, self, self.print_report).setContext(
            Qt.ShortcutContext.WidgetWithChildrenShortcut
        )

    @staticmethod
    def _with_hint(field: QWidget, hint: QLabel) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(field)
        layout.addWidget(hint, 1)
        row.setFocusProxy(field)
        return row

    def _build_layout(self, title: QLabel) -> None:
        self.form_panel = QFrame()
        self.form_panel.setFixedWidth(FORM_WIDTH)
        left = QVBoxLayout(self.form_panel)
        left.setContentsMargins(0, 0, 8, 0)
        left.addLayout(self.form)
        left.addWidget(self.input_error)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        left.addLayout(buttons)
        left.addWidget(self.progress)
        left.addWidget(self.status_label)
        left.addStretch(1)
        left.addWidget(self.dates_label)

        actions = QHBoxLayout()
        actions.addWidget(self.save_button)
        actions.addWidget(self.open_button)
        actions.addWidget(self.print_button)
        actions.addStretch(1)
        actions.addWidget(self.page_label)
        right = QVBoxLayout()
        right.addLayout(actions)
        right.addWidget(self.warning_label)
        right.addWidget(self.empty_label, 1)
        right.addWidget(self.preview, 1)
        self.preview.hide()

        body = QHBoxLayout()
        body.addWidget(self.form_panel)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(body, 1)

    # --- inputs ----------------------------------------------------------------------------

    def kind(self) -> ReportKind:
        return ReportKind(self.kind_combo.currentData())

    def _year_changed(self, year: int) -> None:
        self.year_hint.setText(wareki_fiscal_year(year))

    def _kind_changed(self, *_: object) -> None:
        kind = self.kind()
        period = kind in (ReportKind.INITIATIVE, ReportKind.OVERVIEW)
        shown = {
            self.month_combo: kind is ReportKind.MONTHLY,
            self.year_spin: kind is ReportKind.FISCAL_YEAR,
            self.initiative_combo: kind is ReportKind.INITIATIVE,
            self.from_edit: period,
            self.to_edit: period,
        }
        if self.business_picker is not None:
            shown[self.business_picker] = kind is ReportKind.BUSINESS
            shown[self.notes_check] = kind is ReportKind.BUSINESS
        for widget, visible in shown.items():
            self.form.setRowVisible(self._row_of(widget), visible)
        self.input_error.hide()

    def _row_of(self, widget: QWidget) -> int:
        for row in range(self.form.rowCount()):
            item = self.form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            field = item.widget() if item is not None else None
            if field is widget or (field is not None and field.isAncestorOf(widget)):
                return row
        raise LookupError(widget)

    def request(self) -> ReportRequest:
        """The request the inputs describe; ValueError (shown to the user) when incomplete."""
        kind = self.kind()
        if kind is ReportKind.MONTHLY:
            year, month = self.month_combo.currentData()
            return ReportRequest(kind, year=year, month=month)
        if kind is ReportKind.FISCAL_YEAR:
            return ReportRequest(kind, fiscal_year=self.year_spin.value())
        if kind is ReportKind.BUSINESS:
            picker = self.business_picker
            if picker is None or picker.business_id is None:
                raise ValueError(self.tr("事業者を候補の一覧から選んでください。"))
            return ReportRequest(
                kind,
                business_id=picker.business_id,
                business_name=picker.edit.text().strip(),
                include_notes=self.notes_check.isChecked(),
            )
        try:
            first = self.from_edit.date_value()
            last = self.to_edit.date_value()
        except ValueError:
            raise ValueError(text_for("date.format")) from None
        if first is None or last is None:
            raise ValueError(self.tr("期間の開始と終了を入力してください。"))
        if first > last:
            raise ValueError(text_for("period.reversed"))
        if kind is ReportKind.INITIATIVE:
            code = self.initiative_combo.currentData()
            if not code:
                raise ValueError(self.tr("施策を選んでください。"))
            return ReportRequest(kind, initiative_code=code, first=first, last=last)
        return ReportRequest(kind, first=first, last=last)

    def select_month(self, year: int, month: int) -> bool:
        """Choose the 月次報告's month (one of the choices); False when it is not offered."""
        for index in range(self.month_combo.count()):
            if self.month_combo.itemData(index) == (year, month):
                self.month_combo.setCurrentIndex(index)
                return True
        return False

    def prefill(
        self,
        kind: ReportKind,
        *,
        initiative_code: str = "",
        first: date | None = None,
        last: date | None = None,
        business_id: int | None = None,
        generate: bool = False,
    ) -> None:
        """Set the inputs (another page asks for a report), and make it if ``generate``."""
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(kind))
        if initiative_code:
            self.initiative_combo.setCurrentIndex(self.initiative_combo.findData(initiative_code))
        if first is not None:
            self.from_edit.set_date(first)
        if last is not None:
            self.to_edit.set_date(last)
        if business_id is not None and self.business_picker is not None:
            self.business_picker.set_business(business_id)
        if generate:
            self.generate()

    # --- making ----------------------------------------------------------------------------

    def options(self) -> RenderOptions:
        return self._files.options()

    def generate(self) -> None:
        try:
            request = self.request()
        except ValueError as error:
            self.input_error.setText(str(error))
            self.input_error.show()
            return
        self.input_error.hide()
        options = self.options()
        self.dates_label.setText(
            self.tr("日付は{0}で表示します（管理者が 設定 › 帳票 で変更できます）。").format(
                self.tr("西暦") if options.western_dates else self.tr("和暦")
            )
        )
        reporting, files = self._reporting, self._files
        self.status_label.setText(self.tr("「{0}」を作成しています…").format(request.kind.label))
        self.status_label.setStyleSheet("")
        self.runner.start(lambda: generate(reporting, files, request, options))

    def cancel(self) -> None:
        if not self.runner.busy():
            return
        self.runner.cancel()
        self.status_label.setText(self.tr("作成を中止しました。"))

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        self.generate_button.setEnabled(not busy)
        self._update_buttons()

    def _generated(self, result: object) -> None:
        assert isinstance(result, Generated)
        self.result = result
        self.preview.set_pages(result.pages)
        self.preview.show()
        self.empty_label.hide()
        shown = len(result.pages)
        self.page_label.setText(
            self.tr("{0} ページ").format(result.page_count)
            if shown == result.page_count
            else self.tr("{0} ページ（画面には最初の {1} ページ）").format(result.page_count, shown)
        )
        self.status_label.setText(
            self.tr("「{0}」（{1}）を作成しました。").format(
                result.request.kind.label, result.request.subject()
            )
        )
        if result.missing:
            self.warning_label.setText(
                self.tr(
                    "次の文字は帳票のフォントにないため「〓」で印刷されます: {0}\n"
                    "正式な書類に使う前に、元の記録の表記を確認してください。"
                ).format("　".join(result.missing))
            )
            self.warning_label.show()
        else:
            self.warning_label.hide()
        self._update_buttons()

    def _failed(self, error: object) -> None:
        if isinstance(error, DomainError):
            text = error_text(error)
        else:
            log.error("report generation failed", exc_info=error)  # type: ignore[arg-type]
            text = text_for("report.failed")
        self.status_label.setText(text)
        self.status_label.setStyleSheet(ERROR_STYLE)
        QMessageBox.warning(self, self.tr("帳票"), text)

    def _update_buttons(self) -> None:
        ready = self.result is not None and not self.runner.busy()
        may_print = self._principal.can(Kind.REPORT, Action.PRINT)
        for button in (self.save_button, self.open_button, self.print_button):
            button.setEnabled(ready and may_print)
            button.setVisible(may_print)

    # --- after making ----------------------------------------------------------------------

    def save_as(self) -> Path | None:
        """Ask where (the filter chooses PDF, Excel or JSON) and write the report there."""
        result = self.result
        if result is None:
            return None
        suggested = str(Path(self._folder) / result.request.file_name(ReportFormat.PDF))
        chosen, chosen_filter = QFileDialog.getSaveFileName(
            self, self.tr("帳票を保存"), suggested, ";;".join(FILTERS.values())
        )
        if not chosen:
            return None
        fmt = next((f for f, text in FILTERS.items() if text == chosen_filter), None)
        target = Path(chosen)
        if fmt is None:
            by_suffix = {f".{f.value}": f for f in ReportFormat}
            fmt = by_suffix.get(target.suffix.lower(), ReportFormat.PDF)
        if target.suffix.lower() != f".{fmt.value}":
            target = target.with_name(f"{target.name}.{fmt.value}")
        written = self._write(result, target, fmt)
        if written is not None:
            self._folder = str(target.parent)
            self.status_label.setStyleSheet("")
            self.status_label.setText(self.tr("保存しました: {0}").format(written))
        return written

    def _write(self, result: Generated, target: Path, fmt: ReportFormat) -> Path | None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            # The file dialog has asked before replacing a file that is there.
            written = self._files.write(result.report, target, fmt, overwrite=True)
        except DomainError as error:
            self._show_error(error_text(error))
            return None
        except OSError:
            log.exception("report not written")
            self._show_error(text_for("export.target_unwritable"))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        return written.path

    def _show_error(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(ERROR_STYLE)
        QMessageBox.warning(self, self.tr("帳票"), text)

    def open_external(self) -> Path | None:
        """Write the PDF to a private temporary folder and open it in the PC's viewer."""
        result = self.result
        if result is None:
            return None
        if not self._temp.isValid():
            self._show_error(text_for("report.temp_unwritable"))
            return None
        target = Path(self._temp.path()) / result.request.file_name(ReportFormat.PDF)
        written = self._write(result, target, ReportFormat.PDF)
        if written is None:
            return None
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(written))):
            self._show_error(text_for("report.viewer_failed"))
        return written

    def print_report(self) -> int:
        """The system's print dialog, then every chosen page at printer resolution."""
        result = self.result
        if result is None or not self.print_button.isEnabled():
            return 0
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(result.request.file_name(ReportFormat.PDF))
        prepare_printer(printer, result.pdf)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(self.tr("印刷"))
        dialog.setMinMax(1, result.page_count)
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintPageRange, True)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return 0
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            printed = print_pdf(result.pdf, printer)
        except OSError:
            log.exception("printing failed")
            self._show_error(text_for("report.print_failed"))
            return 0
        finally:
            QApplication.restoreOverrideCursor()
        self._files_printed(result, printed)
        self.status_label.setStyleSheet("")
        self.status_label.setText(self.tr("{0} ページを印刷に送りました。").format(printed))
        return printed

    def _files_printed(self, result: Generated, pages: int) -> None:
        """Audit the print like a saved file."""
        try:
            self._files.record_print(result.report, pages)
        except DomainError as error:
            self._show_error(error_text(error))


def default_period(today: date) -> tuple[date, date]:
    """The 年度 to date: what the 施策 page and the period reports start with."""
    first, _ = fiscal_year_range(fiscal_year(today))
    return first, today
