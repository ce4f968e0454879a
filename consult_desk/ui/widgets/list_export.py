"""「書き出し…」 of a list page: the list as it is filtered now, to CSV (UTF-8 with BOM) or
Excel, through ``ExportService.export``.

One ``ListExport`` per list: a button for the page's top row and Ctrl+E on the widget that
holds the list (a hidden tab's shortcut does not fire, so each tab may have its own). The file
is written on a worker thread; the result (rows written) or the error comes back as a message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QWidget

from consult_desk.domain.errors import DomainError
from consult_desk.domain.fiscal import japan_today
from consult_desk.domain.permissions import Action, Principal
from consult_desk.services.exports import EXPORTS, ExportFormat, ExportResult, ExportService
from consult_desk.ui.messages import error_text, text_for
from consult_desk.ui.widgets.background import BackgroundRunner

log = logging.getLogger(__name__)

SHORTCUT = "Ctrl+E"
FILTERS = {
    ExportFormat.CSV: "CSV（UTF-8 BOM付き）（*.csv）",
    ExportFormat.XLSX: "Excel（*.xlsx）",
}


def chosen_format(chosen: str, chosen_filter: str) -> tuple[Path, ExportFormat]:
    """The file and format a save dialog's answer means: the filter picked, else the name's
    suffix, else CSV; the suffix is added when the name lacks it."""
    target = Path(chosen)
    fmt = next((f for f, text in FILTERS.items() if text == chosen_filter), None)
    if fmt is None:
        by_suffix = {f".{f.value}": f for f in ExportFormat}
        fmt = by_suffix.get(target.suffix.lower(), ExportFormat.CSV)
    if target.suffix.lower() != f".{fmt.value}":
        target = target.with_name(f"{target.name}.{fmt.value}")
    return target, fmt


class _Relay(QObject):
    """Carries the rows written so far from the worker thread to the button (queued)."""

    written = Signal(int)


class ListExport(QObject):
    """「書き出し…（Ctrl+E）」 for one list.

    ``query`` gives the list's filter as the list shows it (its own query object, e.g. after
    applying a search still being typed). The button is shown to roles that may export the
    kind; the service checks again.
    """

    exported = Signal(object)  # ExportResult
    folder: Path | None = None  # the folder of the last export (shared by every list)

    def __init__(
        self,
        exports: ExportService,
        kind: str,
        query: Callable[[], object],
        scope: QWidget,
        principal: Principal,
    ) -> None:
        super().__init__(scope)
        self._exports = exports
        self._kind = kind
        self._query = query
        self.scope = scope
        self.source = EXPORTS[kind]
        self.allowed = principal.can(self.source.kind, Action.EXPORT)
        self.result: ExportResult | None = None  # the last file written
        self.error = ""  # the last failure, as shown
        self.button = QPushButton(self.tr("書き出し…（{0}）").format(SHORTCUT))
        self.button.setToolTip(
            self.tr("表示中の条件に合う{0}を CSV（UTF-8 BOM付き）か Excel に書き出します").format(
                self.source.label
            )
        )
        self.button.setVisible(self.allowed)
        self.button.clicked.connect(self.run)
        self.shortcut = QShortcut(QKeySequence(SHORTCUT), scope, self.run)
        self.shortcut.setEnabled(self.allowed)
        self.runner = BackgroundRunner(self)
        self.runner.finished.connect(self._written)
        self.runner.failed.connect(self._failed)
        self.runner.busy_changed.connect(self._busy)
        self._relay = _Relay(self)
        self._relay.written.connect(self._progressed)

    def title(self) -> str:
        return self.tr("書き出し: {0}").format(self.source.label)

    def active(self) -> bool:
        """Whether this list is the one on screen (the menu's 書き出し… uses it)."""
        return self.allowed and self.scope.isVisible()

    def suggested_name(self) -> str:
        return f"{self.source.label}_{japan_today():%Y%m%d}.csv"

    def run(self) -> None:
        """Ask where (the filter picks CSV or Excel), then write the list's rows there."""
        if not self.allowed or self.runner.busy():
            return
        folder = ListExport.folder or Path.home()
        chosen, chosen_filter = QFileDialog.getSaveFileName(
            self.scope,
            self.title(),
            str(folder / self.suggested_name()),
            ";;".join(FILTERS.values()),
        )
        if not chosen:
            return
        target, fmt = chosen_format(chosen, chosen_filter)
        # The dialog asked before replacing the file it was given; not one whose suffix we added.
        if target != Path(chosen) and target.exists() and not self._replace(target):
            return
        self.write(target, fmt)

    def _replace(self, target: Path) -> bool:
        answer = QMessageBox.question(
            self.scope,
            self.title(),
            self.tr("{0} はすでにあります。置き換えますか？").format(target.name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def write(self, target: Path, fmt: ExportFormat) -> None:
        """Write the list as filtered now to ``target`` (replacing it), on the worker."""
        try:
            query = self._query()
        except DomainError as error:  # a filter that cannot be read (a wrong date)
            self._show_error(error_text(error))
            return
        self.result = None
        self.error = ""
        exports, kind, relay = self._exports, self._kind, self._relay
        ListExport.folder = target.parent
        self.runner.start(
            lambda: exports.export(
                kind, target, fmt, query=query, overwrite=True, progress=relay.written.emit
            )
        )

    def _busy(self, busy: bool) -> None:
        self.button.setEnabled(not busy)
        self.button.setText(
            self.tr("書き出し中…") if busy else self.tr("書き出し…（{0}）").format(SHORTCUT)
        )

    def _progressed(self, rows: int) -> None:
        if self.runner.busy():
            self.button.setText(self.tr("書き出し中…（{0:,} 件）").format(rows))

    def _written(self, result: object) -> None:
        assert isinstance(result, ExportResult)
        self.result = result
        self.exported.emit(result)
        QMessageBox.information(
            self.scope,
            self.title(),
            self.tr("{0}を {1:,} 件書き出しました。\n{2}").format(
                self.source.label, result.rows, result.path
            ),
        )

    def _failed(self, error: object) -> None:
        if isinstance(error, DomainError):
            text = error_text(error)
        elif isinstance(error, OSError):
            text = text_for("export.target_unwritable")
        else:
            log.error("export failed", exc_info=error)  # type: ignore[arg-type]
            text = text_for("export.failed")
        self._show_error(text)

    def _show_error(self, text: str) -> None:
        self.error = text
        QMessageBox.warning(self.scope, self.title(), text)
