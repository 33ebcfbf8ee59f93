"""PACS nodes in the settings: add, edit, remove and test the nodes File > Open from PACS
and File > Send use (the same per-user file `dcreview pacs add` writes).

Passwords and tokens are masked on screen; the file is owner-only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from inference.errors import DcreviewError
from inference.pacs.nodes import PacsNode, load_nodes, normalised, save_nodes, validate
from viewer.review.jobs import Worker, start

KINDS = (("dimse", "DIMSE (AE title, host, port)"), ("dicomweb", "DICOMweb (base URL)"))
RETRIEVE = (("get", "C-GET (nothing to open on this workstation)"),
            ("move", "C-MOVE to this workstation's storage port"))


def _port(parent: QWidget, value: int) -> QSpinBox:
    box = QSpinBox(parent)
    box.setRange(0, 65535)
    box.setValue(value)
    return box


def _secret(parent: QWidget) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class PacsNodesDialog(QDialog):
    """A list of nodes and a form for the selected one; Save writes the settings file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("PACS nodes")
        self.nodes = load_nodes()
        self.editing: str | None = None
        self._testing = ""
        self._worker: Worker | None = None
        outer = QHBoxLayout(self)
        left = QVBoxLayout()
        self.node_list = QListWidget(self)
        self.node_list.currentTextChanged.connect(self.show_node)
        left.addWidget(self.node_list)
        row = QHBoxLayout()
        self.new_button = QPushButton("New", self)
        self.new_button.clicked.connect(self.new_node)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self.remove_node)
        row.addWidget(self.new_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)
        outer.addLayout(left, 1)
        right = QVBoxLayout()
        common = QFormLayout()
        self.name = QLineEdit(self)
        common.addRow("Name", self.name)
        self.kind = QComboBox(self)
        for key, label in KINDS:
            self.kind.addItem(label, key)
        common.addRow("Kind", self.kind)
        right.addLayout(common)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._dimse_page())
        self.pages.addWidget(self._web_page())
        self.kind.currentIndexChanged.connect(self.pages.setCurrentIndex)
        right.addWidget(self.pages)
        self.hint = QLabel("", self)
        self.hint.setWordWrap(True)
        right.addWidget(self.hint)
        actions = QHBoxLayout()
        self.test_button = QPushButton("Test connection", self)
        self.test_button.clicked.connect(self.test_connection)
        self.save_button = QPushButton("Save", self)
        self.save_button.clicked.connect(self.save)
        actions.addWidget(self.test_button)
        actions.addWidget(self.save_button)
        right.addLayout(actions)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        right.addWidget(close)
        outer.addLayout(right, 2)
        self._refill()
        if not self.nodes:
            self.new_node()
        self.resize(760, 480)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def _dimse_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.ae_title, self.host = QLineEdit(page), QLineEdit(page)
        self.port = _port(page, 104)
        self.own_ae_title = QLineEdit(page)
        self.retrieve = QComboBox(page)
        for key, label in RETRIEVE:
            self.retrieve.addItem(label, key)
        self.own_port = _port(page, 0)
        self.tls = QCheckBox("DICOM TLS", page)
        self.tls_ca, self.tls_cert, self.tls_key = QLineEdit(page), QLineEdit(page), QLineEdit(page)
        self.tls_ca.setPlaceholderText("PEM file to trust (empty: the system's)")
        self.tls_cert.setPlaceholderText("where the PACS asks for one; C-MOVE over TLS needs it")
        for label, widget in (("Called AE title", self.ae_title), ("Host", self.host),
                              ("Port", self.port), ("Own AE title", self.own_ae_title),
                              ("Retrieve by", self.retrieve),
                              ("Own storage port", self.own_port), ("", self.tls),
                              ("Trusted certificate", self.tls_ca),
                              ("Own certificate", self.tls_cert), ("Own key", self.tls_key)):
            form.addRow(label, widget)
        # Fields that do nothing in the current choice are greyed out, not hidden: an
        # installer sees what C-MOVE or TLS would ask for.
        self.retrieve.currentIndexChanged.connect(self._grey_out)
        self.tls.toggled.connect(self._grey_out)
        return page

    def _grey_out(self) -> None:
        self.own_port.setEnabled(self.retrieve.currentData() == "move")
        for edit in (self.tls_ca, self.tls_cert, self.tls_key):
            edit.setEnabled(self.tls.isChecked())

    def _web_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.url, self.username = QLineEdit(page), QLineEdit(page)
        self.url.setPlaceholderText("https://pacs.example/dicom-web")
        self.password, self.token = _secret(page), _secret(page)
        self.verify_tls = QCheckBox("Verify the server's TLS certificate", page)
        for label, widget in (("Base URL", self.url), ("User", self.username),
                              ("Password", self.password), ("Bearer token", self.token),
                              ("", self.verify_tls)):
            form.addRow(label, widget)
        return page

    def _refill(self, select: str | None = None) -> None:
        self.node_list.blockSignals(True)
        self.node_list.clear()
        self.node_list.addItems(sorted(self.nodes))
        self.node_list.blockSignals(False)
        names = sorted(self.nodes)
        if names:
            self.node_list.setCurrentRow(names.index(select) if select in names else 0)
        self.remove_button.setEnabled(bool(names))

    def show_node(self, name: str) -> None:
        """Fill the form with a saved node."""
        node = self.nodes.get(name)
        if node is None:
            return
        self.editing = name
        self.fill(node)

    def fill(self, node: PacsNode) -> None:
        """Put ``node`` into the form."""
        self.name.setText(node.name)
        self.kind.setCurrentIndex([k for k, _ in KINDS].index(node.kind))
        self.ae_title.setText(node.ae_title)
        self.host.setText(node.host)
        self.port.setValue(node.port)
        self.own_ae_title.setText(node.own_ae_title)
        self.retrieve.setCurrentIndex([k for k, _ in RETRIEVE].index(node.retrieve))
        self.own_port.setValue(node.own_storage_port)
        self.tls.setChecked(node.tls)
        self.tls_ca.setText(node.tls_ca)
        self.tls_cert.setText(node.tls_cert)
        self.tls_key.setText(node.tls_key)
        self.url.setText(node.url)
        self.username.setText(node.username)
        self.password.setText(node.password)
        self.token.setText(node.bearer_token)
        self.verify_tls.setChecked(node.verify_tls)
        self._grey_out()
        self.hint.setText("")

    def node(self) -> PacsNode:
        """The node the form describes."""
        return normalised(PacsNode(
            name=self.name.text().strip(), kind=self.kind.currentData(),
            ae_title=self.ae_title.text().strip(), host=self.host.text().strip(),
            port=self.port.value(), own_ae_title=self.own_ae_title.text().strip(),
            retrieve=self.retrieve.currentData(), own_storage_port=self.own_port.value(),
            tls=self.tls.isChecked(), tls_ca=self.tls_ca.text().strip(),
            tls_cert=self.tls_cert.text().strip(), tls_key=self.tls_key.text().strip(),
            url=self.url.text().strip().rstrip("/"), username=self.username.text().strip(),
            password=self.password.text(), bearer_token=self.token.text(),
            verify_tls=self.verify_tls.isChecked()))

    def new_node(self) -> None:
        """An empty form with the usual defaults."""
        self.editing = None
        self.node_list.clearSelection()
        self.fill(PacsNode(name=""))
        self.name.setFocus()

    def save(self) -> bool:
        """Validate and write; a problem is shown under the form, nothing is written."""
        node = self.node()
        try:
            validate(node)
        except DcreviewError as exc:
            self.hint.setText(str(exc))
            return False
        if self.editing and self.editing != node.name:
            self.nodes.pop(self.editing, None)  # renamed
        self.nodes[node.name] = node
        save_nodes(self.nodes)
        self.editing = node.name
        self._refill(node.name)
        self.hint.setText(f"Saved {node.describe()}")
        return True

    def remove_node(self) -> None:
        """Remove the selected node from the settings."""
        item = self.node_list.currentItem()
        if item is None:
            return
        self.nodes.pop(item.text(), None)
        save_nodes(self.nodes)
        self._refill()
        if not self.nodes:
            self.new_node()

    def test_connection(self) -> None:
        """C-ECHO or a QIDO request with the form as it is (saved or not), in the background:
        a host that drops packets takes the whole network timeout to say so."""
        from inference.pacs import client

        node = self.node()
        try:
            validate(node)
        except DcreviewError as exc:
            self.hint.setText(f"Connection failed: {exc}")
            return
        # Bound methods of this dialog: Qt drops the connections if it closes first.
        worker = Worker(lambda progress, cancel: client.test_connection(node))
        worker.signals.finished.connect(self._answered)
        worker.signals.errored.connect(self._failed)
        self.test_button.setEnabled(False)
        self.hint.setText(f"Testing {node.name}...")
        self._testing = node.name
        self._worker = start(worker)  # held: the pool does not own it

    def _answered(self, _result) -> None:
        self.test_button.setEnabled(True)
        self.hint.setText(f"{self._testing} answers.")

    def _failed(self, exc: Exception) -> None:
        self.test_button.setEnabled(True)
        self.hint.setText(f"Connection failed: {exc}")
