"""`hearth-app` entry point: the composition root (arguments, QApplication, controller, main window)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from render_app.bundle_dispatch import is_python_command, run_python_command
from render_app.local_farm import FARM_SERVER_FLAG
from render_app.sync_process import SYNC_WORKER_FLAG

if TYPE_CHECKING:
    from render_app.widgets.main_window import MainWindow


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hearth-app", description="Hearth desktop app.")
    parser.add_argument(
        "--local-farm",
        "--local",
        dest="local",
        action="store_true",
        help="start the local farm and connect to it right away (what `make run` does); the first "
        "time, also open the demo scene and render its first frames",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the local farm, open the demo scene and render its first frames",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="offscreen: start a local farm, render one tiny frame, exit 0",
    )
    parser.add_argument("--data-dir", type=Path, help="where the app keeps its local farm")
    parser.add_argument("--output", type=Path, help="where results are downloaded")
    parser.add_argument("scenes", nargs="*", type=Path, help="scene folders or .blend files to open")
    return parser


def saved_farm() -> str:
    from PySide6.QtCore import QSettings

    from render_app.controller import SAVED_FARM_KEY

    return str(QSettings().value(SAVED_FARM_KEY, "") or "")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [FARM_SERVER_FLAG]:
        from render_app.farm_mode import run_farm_server

        return run_farm_server(argv[1:])
    if getattr(sys, "frozen", False) and is_python_command(argv):
        return run_python_command(argv)
    if argv[:1] == [SYNC_WORKER_FLAG]:
        from render_app.sync_worker import main as sync_main

        return sync_main()
    args = _parser().parse_args(argv)
    if args.self_test:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    from PySide6.QtWidgets import QApplication

    from render_app.controller import Controller
    from render_app.paths import data_dir
    from render_app.style import apply_theme, configure_gil, freeze_startup_heap
    from render_app.widgets.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setOrganizationName("Hearth")
    app.setApplicationName("Hearth")
    apply_theme(app)
    configure_gil()
    controller = Controller(args.data_dir or data_dir())
    if args.output:
        controller.output_dir = args.output
    window = MainWindow(controller)
    freeze_startup_heap()
    if args.self_test:
        from render_app import self_test

        return self_test.run(app, window)
    open_window(window, args)
    app.aboutToQuit.connect(controller.shutdown)
    return int(app.exec())


def open_window(window: MainWindow, args: argparse.Namespace) -> None:
    """Shows the window and connects as the arguments say: demo, local farm, or the saved remote farm."""
    window.show()
    if args.demo:
        window.start_demo()
    elif args.local and window.controller.local_farm_is_new():
        # `make run` on a fresh machine: a new user sees frames appear before reading any docs.
        window.start_demo()
    elif args.local:
        window.start_local()
    elif saved_farm():
        window.controller.connect_saved(saved_farm())
    if args.scenes:
        window.open_paths(args.scenes)


if __name__ == "__main__":
    sys.exit(main())
