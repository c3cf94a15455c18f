"""The frame-range grammar shared by client and server: forms, errors with positions, formatting."""

from __future__ import annotations

import pytest

from render_client.frames import FrameRangeError, count_frames, format_frames, parse_frames


@pytest.mark.parametrize(
    ("text", "frames"),
    [
        ("1", [1]),
        ("0", [0]),
        ("1-5", [1, 2, 3, 4, 5]),
        ("1-3,7", [1, 2, 3, 7]),
        ("1-10,20,30-32", [*range(1, 11), 20, 30, 31, 32]),
        ("[1-3]", [1, 2, 3]),
        (" [ 1 - 3 , 5 ] ", [1, 2, 3, 5]),
        ("1-10:3", [1, 4, 7, 10]),
        ("1-100:5", list(range(1, 101, 5))),
        ("5-5", [5]),
        ("3,1,2,2", [1, 2, 3]),
        ("1-3,2-4", [1, 2, 3, 4]),
    ],
)
def test_valid_ranges(text: str, frames: list[int]) -> None:
    assert parse_frames(text) == frames


def test_the_usual_render_range() -> None:
    assert count_frames("1-250") == 250


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("", 1, "empty"),
        ("  ", 1, "empty"),
        ("5-1", 1, "reversed; write it 1-5"),
        ("a-b", 1, "expected a frame number (a non-negative integer), found 'a'"),
        ("1-b", 3, "expected the last frame of the range"),
        ("1-", 3, "found the end of the text"),
        ("1,,2", 3, "found ','"),
        ("1-3,", 5, "found the end of the text"),
        ("-1", 1, "found '-'"),
        ("1-10:0", 6, "step must be at least 1"),
        ("1-10:", 6, "expected a step"),
        ("1-10x2", 5, "expected ',' or the end of the text, found 'x'"),
        ("[1-3", 5, "closing ']'"),
        ("1-3]", 4, "found ']'"),
        ("1 2", 3, "found '2'"),
        ("1.5", 2, "found '.'"),
        ("\uff11", 1, "found '\uff11'"),  # a full-width digit is not a frame number
    ],
)
def test_errors_say_where_and_what_was_expected(text: str, position: int, fragment: str) -> None:
    with pytest.raises(FrameRangeError) as caught:
        parse_frames(text)
    assert caught.value.position + 1 == position
    assert f"position {position}:" in str(caught.value)
    assert fragment in str(caught.value)


def test_frame_limit() -> None:
    assert count_frames("1-100000") == 100_000
    with pytest.raises(FrameRangeError, match="more than 100000 frames"):
        parse_frames("1-100001")
    with pytest.raises(FrameRangeError, match="more than 10 frames"):
        parse_frames("1-5,6-11", max_frames=10)
    with pytest.raises(FrameRangeError, match="larger than"):
        parse_frames("1-99999999999999")


def test_format_frames_round_trips() -> None:
    assert format_frames([]) == ""
    assert format_frames([3, 1, 2, 7, 9, 10]) == "1-3,7,9-10"
    for text in ("1-250", "1-10,20,30-40", "0,2,4"):
        assert format_frames(parse_frames(text)) == text
