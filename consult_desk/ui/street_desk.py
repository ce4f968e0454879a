"""Opens the street and subsidy windows for whichever page or record asks: one place, so every
list, record and follow-up refreshes the same way after a save."""

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from consult_desk.domain.errors import DomainError
from consult_desk.domain.permissions import Principal
from consult_desk.services.businesses import BusinessService
from consult_desk.services.reference import ReferenceService
from consult_desk.services.streets import StreetService
from consult_desk.services.subsidies import SubsidyService
from consult_desk.ui.dialogs.association_dialog import AssociationDialog
from consult_desk.ui.dialogs.association_record import AssociationRecordDialog
from consult_desk.ui.dialogs.street_event_dialog import EventDialog
from consult_desk.ui.dialogs.street_support_dialog import SupportDialog
from consult_desk.ui.dialogs.subsidy_dialog import SubsidyDialog
from consult_desk.ui.messages import error_text


class StreetDesk(QObject):
    """The street records (カルテ) stay open beside the main window, one per association;
    forms open window-modal over whichever window asked. ``changed`` follows every save."""

    changed = Signal()

    def __init__(
        self,
        streets: StreetService,
        subsidies: SubsidyService,
        businesses: BusinessService,
        reference: ReferenceService,
        principal: Principal,
        window: QWidget,
    ) -> None:
        super().__init__(window)
        self._streets = streets
        self._subsidies = subsidies
        self._businesses = businesses
        self._reference = reference
        self._principal = principal
        self._window = window
        self.records: dict[int, AssociationRecordDialog] = {}
        self.last_dialog: QDialog | None = None  # the form shown last (tests read it)

    def _parent(self) -> QWidget:
        """The window a form opens over: a modal form showing, else the street record that
        asked, else the main window. (Never a form already closed: it is deleted later, and
        would take its children along.)"""
        modal = QApplication.activeModalWidget()
        if modal is not None and modal.isVisible():
            return modal
        sender = self.sender()
        if isinstance(sender, AssociationRecordDialog) and sender.isVisible():
            return sender
        return self._window

    def _warn(self, error: DomainError) -> None:
        QMessageBox.warning(self._parent(), "consult-desk", error_text(error))

    def _run(self, dialog: QDialog) -> None:
        # open(), not exec(): window-modal without a nested event loop, so the record windows
        # can refresh beneath the form (and tests can drive it).
        self.last_dialog = dialog
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    # --- associations ---------------------------------------------------------------------

    def new_association(self) -> None:
        self._association_dialog(None)

    def edit_association(self, association_id: int) -> None:
        self._association_dialog(association_id)

    def _association_dialog(self, association_id: int | None) -> None:
        try:
            dialog = AssociationDialog(
                self._streets, self._reference, self._principal, association_id, self._parent()
            )
        except DomainError as error:
            self._warn(error)
            return
        dialog.saved.connect(self._saved)
        if association_id is None:  # a new street: straight to its record once saved

            def opened(_result: int) -> None:
                if dialog.record_id is not None:
                    self.open_association(dialog.record_id)

            dialog.finished.connect(opened)
        self._run(dialog)

    def open_association(self, association_id: int) -> None:
        record = self.records.get(association_id)
        if record is None:
            try:
                record = AssociationRecordDialog(
                    self._streets, self._principal, association_id, parent=self._window
                )
            except DomainError as error:
                self._warn(error)
                return
            record.edit_requested.connect(self.edit_association)
            record.new_support.connect(self.new_support)
            record.new_event.connect(self.new_event)
            record.new_subsidy.connect(self.new_street_subsidy)
            record.open_support.connect(self.open_support)
            record.open_event.connect(self.open_event)
            record.open_subsidy.connect(self.open_subsidy)
            record.finished.connect(lambda _r, a=association_id: self.records.pop(a, None))
            self.records[association_id] = record
        record.show()
        record.raise_()
        record.activateWindow()

    # --- support records and events -------------------------------------------------------

    def new_support(self, association_id: int | None = None) -> None:
        self._support_dialog(association_id, None)

    def open_support(self, support_id: int) -> None:
        self._support_dialog(None, support_id)

    def _support_dialog(self, association_id: int | None, support_id: int | None) -> None:
        try:
            dialog = SupportDialog(
                self._streets,
                self._reference,
                self._principal,
                association_id=association_id,
                support_id=support_id,
                parent=self._parent(),
            )
        except DomainError as error:
            self._warn(error)
            return
        dialog.saved.connect(self._saved)
        self._run(dialog)

    def new_event(self, association_id: int) -> None:
        self._event_dialog(association_id, None)

    def open_event(self, event_id: int) -> None:
        self._event_dialog(None, event_id)

    def _event_dialog(self, association_id: int | None, event_id: int | None) -> None:
        try:
            dialog = EventDialog(
                self._streets,
                self._principal,
                association_id=association_id,
                event_id=event_id,
                parent=self._parent(),
            )
        except DomainError as error:
            self._warn(error)
            return
        dialog.saved.connect(self._saved)
        self._run(dialog)

    # --- subsidies ------------------------------------------------------------------------

    def new_subsidy(
        self, business_id: int | None = None, association_id: int | None = None
    ) -> None:
        self._subsidy_dialog(None, business_id, association_id)

    def new_street_subsidy(self, association_id: int) -> None:
        self._subsidy_dialog(None, None, association_id)

    def open_subsidy(self, application_id: int) -> None:
        self._subsidy_dialog(application_id, None, None)

    def _subsidy_dialog(
        self, application_id: int | None, business_id: int | None, association_id: int | None
    ) -> None:
        try:
            dialog = SubsidyDialog(
                self._subsidies,
                self._streets,
                self._businesses,
                self._reference,
                self._principal,
                application_id=application_id,
                business_id=business_id,
                association_id=association_id,
                parent=self._parent(),
            )
        except DomainError as error:
            self._warn(error)
            return
        dialog.changed.connect(self._saved)
        self._run(dialog)

    # --- after a save ---------------------------------------------------------------------

    def _saved(self, *_: object) -> None:
        for record in list(self.records.values()):
            try:
                record.refresh()
            except DomainError:
                record.close()
        self.changed.emit()
