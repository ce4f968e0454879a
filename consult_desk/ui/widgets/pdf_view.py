"""A finished PDF inside the app: its pages as pictures for the preview, and on a printer.

PDFium (pypdfium2) draws the pages; the PySide6 wheels the app pins have no QtPdf module (it
ships in PySide6-Addons, 170 MB). PDFium is not thread-safe, so every call goes through one
lock: the preview is drawn on the report worker's thread while printing draws on the GUI's.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pypdfium2 as pdfium

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter, QPixmap, QResizeEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

_PDFIUM = threading.Lock()
PREVIEW_SCALE = 1.4  # pixels per PDF point (about 100 dpi): sharp when fitted to the width
PREVIEW_PAGES = 40  # pages drawn for the preview (about 3 MB each); all of them are printed
PRINT_DPI = 300  # enough for text; higher only makes the print job bigger
PAGE_GAP = 12


def page_count(data: bytes) -> int:
    with _PDFIUM:
        document = pdfium.PdfDocument(data)
        try:
            return len(document)
        finally:
            document.close()


def render_pages(
    data: bytes, scale: float = PREVIEW_SCALE, limit: int = PREVIEW_PAGES
) -> list[QImage]:
    """The first ``limit`` pages as images (``scale`` pixels per point); safe on any thread."""
    images = []
    with _PDFIUM:
        document = pdfium.PdfDocument(data)
        try:
            for index in range(min(len(document), limit)):
                images.append(_render(document, index, scale))
        finally:
            document.close()
    return images


def _render(document: pdfium.PdfDocument, index: int, scale: float) -> QImage:
    page = document[index]
    try:
        bitmap = page.render(scale=scale, rev_byteorder=True)  # RGB, 3 bytes a pixel
        try:
            image = QImage(
                bytes(bitmap.buffer),
                bitmap.width,
                bitmap.height,
                bitmap.stride,
                QImage.Format.Format_RGB888,
            )
            return image.copy()  # own the pixels: the buffer goes with the bitmap
        finally:
            bitmap.close()
    finally:
        page.close()


def _landscape(data: bytes) -> bool:
    with _PDFIUM:
        document = pdfium.PdfDocument(data)
        try:
            if not len(document):
                return False
            width, height = document[0].get_size()
            return bool(width > height)
        finally:
            document.close()


def prepare_printer(printer: QPrinter, data: bytes) -> None:
    """A4 in the document's orientation, the whole sheet ours (the PDF has its margins)."""
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    orientation = QPageLayout.Orientation
    printer.setPageOrientation(orientation.Landscape if _landscape(data) else orientation.Portrait)
    printer.setFullPage(True)


def print_pdf(data: bytes, printer: QPrinter) -> int:
    """Print the pages the print dialog chose (all when none); returns the pages printed.

    Each page is drawn at up to ``PRINT_DPI`` and fitted to the sheet, centred.
    """
    total = page_count(data)
    first, last = printer.fromPage(), printer.toPage()
    if first <= 0 or last <= 0:
        first, last = 1, total
    last = min(last, total)
    dpi = min(printer.resolution(), PRINT_DPI)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer could not be opened")
    printed = 0
    try:
        sheet = QRect(0, 0, printer.width(), printer.height())
        for number in range(first, last + 1):
            with _PDFIUM:
                document = pdfium.PdfDocument(data)
                try:
                    image = _render(document, number - 1, dpi / 72)
                finally:
                    document.close()
            if printed and not printer.newPage():
                raise OSError("the printer refused a new page")
            size = image.size().scaled(sheet.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(sheet.center())
            painter.drawImage(target, image)
            printed += 1
    finally:
        painter.end()
    return printed


class PdfPreview(QScrollArea):
    """The pages one under the other, each as wide as the view allows (never wider than
    drawn); ``set_pages`` replaces them, ``clear`` empties the view."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pdfPreview")
        self.setWidgetResizable(True)
        self.setStyleSheet("QScrollArea#pdfPreview { background: #8a8f96; }")
        self._images: list[QImage] = []
        self._width = 0  # the width the pages were last fitted to
        self.pages: list[QLabel] = []
        self._sheet = QWidget()
        self._sheet.setStyleSheet("background: #8a8f96;")
        self._layout = QVBoxLayout(self._sheet)
        self._layout.setSpacing(PAGE_GAP)
        self._layout.setContentsMargins(PAGE_GAP, PAGE_GAP, PAGE_GAP, PAGE_GAP)
        self._layout.addStretch(1)
        self.setWidget(self._sheet)

    def page_count(self) -> int:
        return len(self._images)

    def set_pages(self, images: Sequence[QImage]) -> None:
        self.clear()
        self._images = list(images)
        for number, _image in enumerate(self._images, start=1):
            label = QLabel()
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            label.setFrameShape(QFrame.Shape.NoFrame)
            label.setAccessibleName(self.tr("{0} ページ目").format(number))
            self.pages.append(label)
            self._layout.insertWidget(self._layout.count() - 1, label)
        self._width = 0
        self._fit()
        self.verticalScrollBar().setValue(0)

    def clear(self) -> None:
        for label in self.pages:
            self._layout.removeWidget(label)
            label.deleteLater()
        self.pages = []
        self._images = []

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        room = max(self.viewport().width() - 2 * PAGE_GAP, 50)
        if room == self._width:
            return
        self._width = room
        for label, image in zip(self.pages, self._images, strict=True):
            width = min(room, image.width())
            size = image.size().scaled(QSize(width, 10**6), Qt.AspectRatioMode.KeepAspectRatio)
            label.setPixmap(
                QPixmap.fromImage(image).scaled(
                    size,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
