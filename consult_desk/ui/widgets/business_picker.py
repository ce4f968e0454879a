"""A business picked by typing part of its name, reading or 法人番号 (the consultation form's
way): suggestions come from the business list's own search, a page of 15 at most."""

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtWidgets import QCompleter, QLabel, QLineEdit, QVBoxLayout, QWidget

from consult_desk.domain.businesses import BusinessQuery
from consult_desk.services.businesses import BusinessService

SEARCH_DELAY_MS = 200
MAX_SUGGESTIONS = 15


class BusinessPicker(QWidget):
    """``business_id`` is None until a suggestion is chosen; typing again clears it."""

    picked = Signal(int)

    def __init__(self, businesses: BusinessService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._businesses = businesses
        self.business_id: int | None = None
        self._suggestions: dict[str, int] = {}
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(self.tr("事業者名・フリガナ・法人番号で検索"))
        self._model = QStringListModel(self)
        completer = QCompleter(self._model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.activated.connect(self._pick)
        self.edit.setCompleter(completer)
        self.caption = QLabel()
        self.caption.hide()  # shown while it has something to say
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.suggest)
        self.edit.textEdited.connect(self._typed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.caption)
        self.setFocusProxy(self.edit)

    def set_business(self, business_id: int) -> None:
        business = self._businesses.get(business_id)
        self.business_id = business_id
        self.edit.setText(business.input.name)
        town = f"（{business.town_name}）" if business.town_name else ""
        self._caption(f"✓ {business.input.name}{town}")

    def show_business(self, business_id: int, name: str) -> None:
        """A business already chosen (an existing record): no lookup needed."""
        self.business_id = business_id
        self.edit.setText(name)
        self._caption("")

    def suggestions(self) -> list[str]:
        return list(self._suggestions)

    def suggest(self) -> None:
        text = self.edit.text().strip()
        if not text:
            self._model.setStringList([])
            return
        rows = self._businesses.page(BusinessQuery(text=text), limit=MAX_SUGGESTIONS)
        self._suggestions = {}
        for r in rows:
            number = f"・{r.corporate_number}" if r.corporate_number else ""
            self._suggestions[f"{r.name}（{r.town_name or r.area}{number}）"] = r.id
        self._model.setStringList(list(self._suggestions))
        completer = self.edit.completer()
        if completer is not None and rows:
            completer.complete()

    def _typed(self, text: str) -> None:
        self.business_id = None  # typing again means the pick is no longer certain
        self._caption(self.tr("一覧から選んでください") if text.strip() else "")
        self._timer.start()

    def _caption(self, text: str) -> None:
        self.caption.setText(text)
        self.caption.setVisible(bool(text))

    def _pick(self, text: str) -> None:
        business_id = self._suggestions.get(text)
        if business_id is not None:
            self.set_business(business_id)
            self.picked.emit(business_id)
