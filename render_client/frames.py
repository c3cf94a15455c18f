"""Frame-range grammar shared by the client and the farm: parse, count and format frame sets.

Grammar (whitespace allowed between tokens; the whole list may be wrapped in one pair of `[ ]`,
as old Qarnot samples do)::

    ranges := item ("," item)*
    item   := INT | INT "-" INT [":" STEP]
    INT    := digits (frames are non-negative: they are Qarnot instance ids)
    STEP   := digits >= 1

`1-100:5` renders every fifth frame (1, 6, ..., 96). The colon was chosen over Blender's `x`
notation because it reads the same as Python slices and cannot be mistaken for a frame number.
Duplicate frames are merged; the result is sorted.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_MAX_FRAMES = 100_000
MAX_FRAME_NUMBER = 10**9


class FrameRangeError(ValueError):
    """A frame-range text that does not follow the grammar; `position` is 0-based in the text."""

    def __init__(self, text: str, position: int, problem: str) -> None:
        self.text = text
        self.position = position
        self.problem = problem
        super().__init__(f"invalid frame range {text!r} at position {position + 1}: {problem}")


class _Scanner:
    """A cursor over the range text that skips blanks and reports what it expected."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_blanks(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def peek(self) -> str:
        self.skip_blanks()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def found(self) -> str:
        char = self.peek()
        return f"found {char!r}" if char else "found the end of the text"

    def accept(self, char: str) -> bool:
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    def integer(self, what: str) -> int:
        self.skip_blanks()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isascii() and self.text[self.pos].isdigit():
            self.pos += 1
        if start == self.pos:
            raise FrameRangeError(
                self.text, start, f"expected {what} (a non-negative integer), {self.found()}"
            )
        value = int(self.text[start : self.pos])
        if value > MAX_FRAME_NUMBER:
            raise FrameRangeError(self.text, start, f"{what} {value} is larger than {MAX_FRAME_NUMBER}")
        return value


def _item(scanner: _Scanner, max_frames: int, total: int) -> range:
    scanner.skip_blanks()
    start_pos = scanner.pos
    first = scanner.integer("a frame number")
    if not scanner.accept("-"):
        return range(first, first + 1)
    last = scanner.integer("the last frame of the range")
    if last < first:
        raise FrameRangeError(
            scanner.text, start_pos, f"range {first}-{last} is reversed; write it {last}-{first}"
        )
    step = 1
    if scanner.accept(":"):
        step_pos = scanner.pos
        step = scanner.integer("a step")
        if step < 1:
            raise FrameRangeError(scanner.text, step_pos, "the step must be at least 1")
    frames = range(first, last + 1, step)
    if total + len(frames) > max_frames:
        raise FrameRangeError(
            scanner.text,
            start_pos,
            f"the ranges hold more than {max_frames} frames (at least {total + len(frames)}); split the task",
        )
    return frames


def parse_frames(text: str, *, max_frames: int = DEFAULT_MAX_FRAMES) -> list[int]:
    """The sorted, distinct frames of a range text; raises FrameRangeError with a precise message."""
    scanner = _Scanner(text)
    if not scanner.peek():
        raise FrameRangeError(text, 0, "the range is empty; write frames such as 1-250 or 1-10,20")
    bracketed = scanner.accept("[")
    frames: set[int] = set()
    counted = 0
    while True:
        item = _item(scanner, max_frames, counted)
        counted += len(item)
        frames.update(item)
        if not scanner.accept(","):
            break
    if bracketed and not scanner.accept("]"):
        raise FrameRangeError(text, scanner.pos, f"expected ',' or the closing ']', {scanner.found()}")
    if scanner.peek():
        expected = "',' or the end of the text"
        raise FrameRangeError(text, scanner.pos, f"expected {expected}, {scanner.found()}")
    return sorted(frames)


def count_frames(text: str, *, max_frames: int = DEFAULT_MAX_FRAMES) -> int:
    return len(parse_frames(text, max_frames=max_frames))


def format_frames(frames: Iterable[int]) -> str:
    """The shortest comma list of `A-B` runs for a set of frames, e.g. `1-3,7,9-10` (`` for none)."""
    ordered = sorted(set(frames))
    runs: list[str] = []
    index = 0
    while index < len(ordered):
        start = end = ordered[index]
        while index + 1 < len(ordered) and ordered[index + 1] == end + 1:
            index += 1
            end = ordered[index]
        runs.append(str(start) if start == end else f"{start}-{end}")
        index += 1
    return ",".join(runs)
