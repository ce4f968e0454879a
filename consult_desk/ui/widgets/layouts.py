"""Small layout helpers shared by the case windows."""

from collections.abc import Collection

from PySide6.QtWidgets import QLayout, QWidget


def clear_layout(layout: QLayout, keep: Collection[QWidget] = ()) -> None:
    """Take every item out of `layout`, deleting its widgets except those in `keep`
    (which the caller adds back)."""
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item else None
        if widget is not None and widget not in keep:
            widget.deleteLater()
