"""Submit dialog: frames validated as you type, render settings, placement, a scout-render estimate."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from render_client.frames import FrameRangeError, parse_frames
from render_client.submit import RenderSettings

ENGINES = ("As saved", "CYCLES", "BLENDER_EEVEE_NEXT", "BLENDER_WORKBENCH")
FORMATS = ("As saved", "PNG", "JPEG", "OPEN_EXR", "TIFF")
PLACEMENTS = (("Greenest (heat-first)", "heat-first"), ("Fastest", "fastest"))


class SubmitDialog(QDialog):
    estimateRequested = Signal(object)  # noqa: N815 (Qt signal naming) RenderSettings

    def __init__(self, scene_key: str, scene_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("submitDialog")
        self.setAccessibleName("Submit scene")
        self.setWindowTitle(f"Submit {scene_name}")
        self.setMinimumWidth(460)
        self.scene_key = scene_key
        self.scene_name = scene_name
        self.frames = self._named(QLineEdit("1-10"), "framesEdit", "Frames")
        self.frames.setPlaceholderText("1-250 or 1-10,20")
        self.frames_hint = self._named(QLabel(), "framesHint", "Frames check")
        self.engine = self._named(QComboBox(), "engineCombo", "Render engine")
        self.engine.addItems(ENGINES)
        self.samples = self._spin(0, 65536, "samplesSpin", "Samples", "As saved")
        self.percent = self._spin(1, 100, "resolutionSpin", "Resolution percent")
        self.percent.setValue(100)
        self.percent.setSuffix(" %")
        self.file_format = self._named(QComboBox(), "formatCombo", "Output format")
        self.file_format.addItems(FORMATS)
        self.camera = self._named(QLineEdit(), "cameraEdit", "Camera")
        self.camera.setPlaceholderText("scene camera")
        self.priority = self._spin(-100, 100, "prioritySpin", "Priority")
        self.placement = self._named(QComboBox(), "placementCombo", "Placement")
        for label, value in PLACEMENTS:
            self.placement.addItem(label, value)
        self.estimate_button = self._named(QPushButton("Estimate cost"), "estimateButton", "Estimate cost")
        self.estimate_label = self._named(QLabel("No estimate yet."), "estimateLabel", "Estimate")
        self.estimate_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.submit_button = self.buttons.addButton("Submit", QDialogButtonBox.ButtonRole.AcceptRole)
        self._named(self.submit_button, "submitButton", "Submit")
        self._named(self.buttons, "submitButtons", "Dialog buttons")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self._named(cancel, "cancelSubmit", "Cancel")
        cancel.setIcon(QIcon())  # the platform's Cancel icon, beside a Submit without one, looked unfinished

        form = QFormLayout()
        form.addRow("Frames", self.frames)
        form.addRow("", self.frames_hint)
        form.addRow("Engine", self.engine)
        form.addRow("Samples", self.samples)
        form.addRow("Resolution", self.percent)
        form.addRow("Format", self.file_format)
        form.addRow("Camera", self.camera)
        form.addRow("Priority", self.priority)
        form.addRow("Placement", self.placement)
        estimate_row = QHBoxLayout()
        estimate_row.addWidget(self.estimate_button)
        estimate_row.addWidget(self.estimate_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(estimate_row)
        layout.addWidget(self.buttons)

        self.frames.textChanged.connect(self._validate)
        self.estimate_button.clicked.connect(self._estimate)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self._restore()
        self._validate()

    def _named(self, widget: Any, name: str, accessible: str) -> Any:
        widget.setObjectName(name)
        widget.setAccessibleName(accessible)
        return widget

    def _spin(self, low: int, high: int, name: str, accessible: str, special: str = "") -> QSpinBox:
        spin: QSpinBox = self._named(QSpinBox(), name, accessible)
        spin.setRange(low, high)
        if special:
            spin.setSpecialValueText(special)
        return spin

    def _validate(self) -> bool:
        try:
            count = len(parse_frames(self.frames.text()))
        except FrameRangeError as exc:
            self.frames_hint.setText(f"⚠ {exc}")
            self.frames_hint.setProperty("error", True)
            ok = False
        else:
            self.frames_hint.setText(f"{count} frame(s)")
            self.frames_hint.setProperty("error", False)
            ok = True
        self.frames_hint.style().polish(self.frames_hint)
        self.submit_button.setEnabled(ok)
        self.estimate_button.setEnabled(ok)
        return ok

    def settings(self) -> RenderSettings:
        def chosen(combo: QComboBox) -> str | None:
            return None if combo.currentIndex() == 0 else combo.currentText()

        return RenderSettings(
            frames=self.frames.text().strip(),
            name=self.scene_name,
            engine=chosen(self.engine),
            samples=self.samples.value() or None,
            resolution_percent=self.percent.value(),
            file_format=chosen(self.file_format),
            camera=self.camera.text().strip() or None,
            priority=self.priority.value() or None,
            policy=str(self.placement.currentData()),
        )

    def _estimate(self) -> None:
        if self._validate():
            self.estimate_label.setText("Rendering a scout frame…")
            self.estimate_button.setEnabled(False)
            self.estimateRequested.emit(self.settings())

    def show_estimate(self, text: str) -> None:
        self.estimate_label.setText(text)
        self.estimate_button.setEnabled(True)

    def _accept(self) -> None:
        if self._validate():
            self._save()
            self.accept()

    # -- last-used settings, per scene -----------------------------------------------------

    def _group(self) -> str:
        return "scenes/" + self.scene_key.replace("/", "|")

    def _save(self) -> None:
        store = QSettings()
        store.beginGroup(self._group())
        store.setValue("frames", self.frames.text())
        store.setValue("engine", self.engine.currentIndex())
        store.setValue("samples", self.samples.value())
        store.setValue("percent", self.percent.value())
        store.setValue("format", self.file_format.currentIndex())
        store.setValue("camera", self.camera.text())
        store.setValue("priority", self.priority.value())
        store.setValue("placement", self.placement.currentIndex())
        store.endGroup()

    def _restore(self) -> None:
        store = QSettings()
        store.beginGroup(self._group())
        if store.contains("frames"):
            self.frames.setText(str(store.value("frames")))
            self.engine.setCurrentIndex(int(str(store.value("engine", 0))))
            self.samples.setValue(int(str(store.value("samples", 0))))
            self.percent.setValue(int(str(store.value("percent", 100))))
            self.file_format.setCurrentIndex(int(str(store.value("format", 0))))
            self.camera.setText(str(store.value("camera", "")))
            self.priority.setValue(int(str(store.value("priority", 0))))
            self.placement.setCurrentIndex(int(str(store.value("placement", 0))))
        store.endGroup()
