"""A small grouped bar chart drawn with QPainter (QtCharts is not in PySide6-Essentials).

Categories run along the bottom (months, channels), one bar per series in each; a bar's
tooltip gives its figure, and clicking a bar emits ``bar_clicked(category, series)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

AXIS = QColor("#555555")
GRID = QColor("#e2e6ec")
PALETTE = ("#1f3a5f", "#9fb3cc", "#d08c2b", "#5b8c5a")
MARGIN = 8


@dataclass(frozen=True, slots=True)
class ChartSeries:
    name: str
    values: tuple[int, ...]  # one per category


def nice_step(top: int, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 × 10ⁿ) that reaches ``top`` in about ``ticks`` steps."""
    if top <= 0:
        return 1
    raw = top / ticks
    magnitude = 1
    while magnitude * 10 <= raw:
        magnitude *= 10
    for factor in (1, 2, 5, 10):
        if magnitude * factor >= raw:
            return max(magnitude * factor, 1)
    return magnitude * 10  # pragma: no cover - the loop always returns


class BarChart(QWidget):
    bar_clicked = Signal(int, int)  # category index, series index

    def __init__(self, title: str = "", unit: str = "件", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.unit = unit
        self.categories: tuple[str, ...] = ()
        self.series: tuple[ChartSeries, ...] = ()
        self.clickable = False
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(title)

    def set_data(self, categories: Sequence[str], series: Sequence[ChartSeries]) -> None:
        self.categories = tuple(categories)
        self.series = tuple(series)
        self.update()

    def minimumSizeHint(self) -> QSize:
        return QSize(260, 170)

    def sizeHint(self) -> QSize:
        return QSize(420, 220)

    # --- geometry ------------------------------------------------------------------------

    def _top(self) -> int:
        values = [v for s in self.series for v in s.values]
        highest = max(values, default=0)
        step = nice_step(highest)
        return max(step * -(-highest // step), step)

    def _plot(self) -> QRectF:
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        left = metrics.horizontalAdvance(f"{self._top():,}") + MARGIN * 2
        top = line * 3 + MARGIN  # the title, then the legend
        bottom = line + MARGIN * 2
        return QRectF(left, top, self.width() - left - MARGIN, self.height() - top - bottom)

    def bar_rects(self) -> list[tuple[QRectF, int, int]]:
        """(rectangle, category, series) of every bar, as drawn."""
        if not self.categories or not self.series:
            return []
        plot = self._plot()
        top = self._top()
        slot = plot.width() / len(self.categories)
        group = slot * 0.7
        width = group / len(self.series)
        rects = []
        for c in range(len(self.categories)):
            for s, series in enumerate(self.series):
                value = series.values[c] if c < len(series.values) else 0
                height = plot.height() * value / top
                x = plot.left() + c * slot + (slot - group) / 2 + s * width
                rects.append((QRectF(x, plot.bottom() - height, width - 1, height), c, s))
        return rects

    # --- drawing -------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        bold = self.font()
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(AXIS)
        painter.drawText(QPointF(MARGIN, line), self.title)
        painter.setFont(self.font())
        x = float(MARGIN)
        legend = line * 2 + 4  # the legend's baseline, a little below the title
        for s, series in enumerate(self.series):
            swatch = QRectF(x, legend - metrics.ascent() + 2, 10, 10)
            painter.fillRect(swatch, QColor(PALETTE[s % len(PALETTE)]))
            painter.drawText(QPointF(x + 14, legend), series.name)
            x += 14 + metrics.horizontalAdvance(series.name) + MARGIN * 2
        unit_width = metrics.horizontalAdvance(self.unit)
        painter.drawText(QPointF(self.width() - MARGIN - unit_width, legend), self.unit)
        plot = self._plot()
        if plot.width() < 20 or plot.height() < 20:
            return
        top = self._top()
        step = nice_step(top)
        for value in range(0, top + 1, step):
            y = plot.bottom() - plot.height() * value / top
            painter.setPen(QPen(GRID))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(AXIS)
            text = f"{value:,}"
            painter.drawText(
                QPointF(plot.left() - MARGIN - metrics.horizontalAdvance(text), y + line / 3),
                text,
            )
        for rect, _c, s in self.bar_rects():
            painter.fillRect(rect, QColor(PALETTE[s % len(PALETTE)]))
        painter.setPen(AXIS)
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        slot = plot.width() / max(len(self.categories), 1)
        for c, name in enumerate(self.categories):
            text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, int(slot) - 2)
            x = plot.left() + c * slot + (slot - metrics.horizontalAdvance(text)) / 2
            painter.drawText(QPointF(x, plot.bottom() + line + 2), text)
        painter.end()

    # --- interaction ---------------------------------------------------------------------

    def _hit(self, point: QPointF) -> tuple[int, int] | None:
        plot = self._plot()
        for rect, c, s in self.bar_rects():
            # The whole column above a bar counts, so a short bar is easy to point at.
            column = QRectF(rect.left(), plot.top(), rect.width(), plot.height())
            if column.contains(point):
                return c, s
        return None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            hit = self._hit(QPointF(event.pos()))
            if hit is None:
                QToolTip.hideText()
                event.ignore()
                return True
            c, s = hit
            series = self.series[s]
            value = series.values[c] if c < len(series.values) else 0
            text = f"{self.categories[c]}（{series.name}）: {value:,}{self.unit}"
            if self.clickable:
                text += "\n" + self.tr("クリックで一覧を表示")
            QToolTip.showText(event.globalPos(), text, self)
            return True
        return super().event(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        over = self.clickable and self._hit(event.position()) is not None
        self.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self.clickable and event.button() == Qt.MouseButton.LeftButton:
            hit = self._hit(event.position())
            if hit is not None:
                self.bar_clicked.emit(*hit)
                return
        super().mouseReleaseEvent(event)
