"""Task views: unique result folders, selection that new tasks never steal, a log that keeps its place."""

from __future__ import annotations

from typing import Any

from render_app.state import TaskInfo
from render_app.widgets.main_window import MainWindow


def selected(window: MainWindow) -> str | None:
    rows = window.task_list.selectionModel().selectedRows()
    return window.controller.tasks.tasks[rows[0].row()].uuid if rows else None


def test_results_of_a_resubmit_go_to_their_own_folder(window: MainWindow) -> None:
    c = window.controller
    first = TaskInfo("aaaaaaaa-1111", "shot", "Success", [1])
    again = TaskInfo("bbbbbbbb-2222", "shot", "Success", [1])
    assert c.results_folder(first) != c.results_folder(again)
    assert c.results_folder(first).parent == c.output_dir
    assert c.results_folder(first).name.startswith("shot-")


def test_new_tasks_do_not_steal_the_selection(window: MainWindow) -> None:
    tasks = window.controller.tasks
    tasks.add(TaskInfo("scout-1", "shot scout", "Submitted", [1], scout=True))
    assert selected(window) is None  # a scout is not selected on its own
    tasks.add(TaskInfo("task-1", "shot", "Submitted", [1, 2]))
    assert selected(window) == "task-1"
    tasks.add(TaskInfo("scout-2", "shot scout", "Submitted", [1], scout=True))
    tasks.add(TaskInfo("task-2", "shot", "Submitted", [1, 2]))
    assert selected(window) == "task-1"
    assert window.task_detail.task is not None and window.task_detail.task.uuid == "task-1"


def test_log_keeps_the_readers_place(qtbot: Any, window: MainWindow) -> None:
    detail = window.task_detail
    window.pages.setCurrentIndex(1)
    lines = "".join(f"line {i}\n" for i in range(400))
    detail.set_log(lines, "")
    bar = detail.log.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)
    assert bar.value() == bar.maximum()  # starts following the end
    bar.setValue(10)  # the reader scrolls up
    detail.set_log(lines + "line 400\n", "")
    assert bar.value() == 10
    detail.set_log(lines + "line 400\n", "a warning\n")  # not a plain append
    assert bar.value() == 10
    bar.setValue(bar.maximum())
    detail.set_log(lines + "line 400\nline 401\n", "a warning\n")
    assert bar.value() == bar.maximum()
    assert detail.log.toPlainText().endswith("a warning\n")
