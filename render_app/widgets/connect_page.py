"""First-start screen: local farm, remote farm (URL + token) or the demo scene."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

MAX_WIDTH_PX = 960
FIELD_MIN_WIDTH_PX = 260


class ConnectPage(QWidget):
    localRequested = Signal()  # noqa: N815 (Qt signal naming)
    remoteRequested = Signal(str, str)  # noqa: N815
    demoRequested = Signal()  # noqa: N815

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectPage")
        self.setAccessibleName("Connect to a farm")
        title = QLabel("Welcome to Hearth")
        title.setObjectName("welcomeTitle")
        title.setAccessibleName("Welcome")
        subtitle = QLabel("Render Blender scenes on computers whose heat warms homes.")
        subtitle.setObjectName("welcomeSubtitle")
        subtitle.setAccessibleName("About Hearth")

        local = QGroupBox("Local farm")
        local.setObjectName("localGroup")
        local.setAccessibleName("Local farm")
        self.local_button = QPushButton("Start local farm")
        self.local_button.setObjectName("startLocalFarm")
        self.local_button.setAccessibleName("Start local farm")
        self.local_button.setDefault(True)
        self.local_button.clicked.connect(self.localRequested)
        self.demo_button = QPushButton("Start local farm with the demo scene")
        self.demo_button.setObjectName("startDemo")
        self.demo_button.setAccessibleName("Start with demo scene")
        self.demo_button.clicked.connect(self.demoRequested)
        local_layout = QVBoxLayout(local)
        local_layout.addWidget(QLabel("Runs a farm with two heater nodes on this computer."))
        local_layout.addWidget(self.local_button)
        local_layout.addWidget(self.demo_button)

        remote = QGroupBox("Remote farm")
        remote.setObjectName("remoteGroup")
        remote.setAccessibleName("Remote farm")
        self.url_edit = QLineEdit()
        self.url_edit.setObjectName("farmUrl")
        self.url_edit.setAccessibleName("Farm URL")
        self.url_edit.setPlaceholderText("https://farm.example.org:8400")
        self.token_edit = QLineEdit()
        self.token_edit.setObjectName("farmToken")
        self.token_edit.setAccessibleName("API token")
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.remote_button = QPushButton("Connect")
        self.remote_button.setObjectName("connectRemote")
        self.remote_button.setAccessibleName("Connect to remote farm")
        self.remote_button.clicked.connect(self._remote)
        for edit in (self.url_edit, self.token_edit):
            edit.setMinimumWidth(FIELD_MIN_WIDTH_PX)
        keyring_note = QLabel("The token is kept in your system keyring.")
        keyring_note.setObjectName("keyringNote")
        keyring_note.setAccessibleName("Where the token is kept")
        keyring_note.setWordWrap(True)
        form = QFormLayout(remote)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("URL", self.url_edit)
        form.addRow("Token", self.token_edit)
        form.addRow("", keyring_note)
        form.addRow("", self.remote_button)

        choices = QWidget()
        choices.setMaximumWidth(MAX_WIDTH_PX)
        boxes = QHBoxLayout(choices)
        boxes.addWidget(local)
        boxes.addWidget(remote)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(title, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(subtitle, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(16)
        layout.addWidget(choices, alignment=Qt.AlignmentFlag.AlignHCenter)
        self.problem = QLabel()
        self.problem.setObjectName("connectProblem")
        self.problem.setAccessibleName("Problem")
        self.problem.setWordWrap(True)
        self.problem.setMaximumWidth(MAX_WIDTH_PX)
        self.problem.setStyleSheet("background:#78350f; color:#fde68a; padding:8px;")
        self.problem.hide()
        layout.addWidget(self.problem, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def _remote(self) -> None:
        url, token = self.url_edit.text().strip(), self.token_edit.text().strip()
        if url and token:
            self.remoteRequested.emit(url, token)

    def show_problem(self, text: str) -> None:
        self.problem.setText("⚠ " + text)
        self.problem.show()

    def set_busy(self, busy: bool) -> None:
        for button in (self.local_button, self.demo_button, self.remote_button):
            button.setEnabled(not busy)
