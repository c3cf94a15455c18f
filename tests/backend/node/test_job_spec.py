"""Task constants become a worker JobSpec; bad constants are refused with the constant's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.node.job_spec import JobSpecError, spec_from_constants


def spec(constants: dict[str, str], root: Path = Path("/scratch")):  # type: ignore[no-untyped-def]
    return spec_from_constants(
        constants, inputs_dir=root / "in", output_dir=root / "out", preview_dir=root / "pv", threads=1
    )


def test_constants_map_onto_the_job_spec() -> None:
    result = spec(
        {
            "BLEND_FILE": "shots/010.blend",
            "BLEND_ENGINE": "cycles",
            "BLEND_FORMAT": "EXR",
            "BLEND_CYCLES_SAMPLES": "16",
            "BLEND_W": "320",
            "BLEND_H": "180",
            "BLEND_RATIO": "50",
            "BLEND_CAMERA": "CamB",
            "BLEND_SCENE": "",
        }
    )

    assert result.blend == Path("/scratch/in/shots/010.blend")
    assert (result.engine, result.format, result.samples) == ("CYCLES", "OPEN_EXR", 16)
    assert (result.resolution_x, result.resolution_y, result.resolution_percentage) == (320, 180, 50)
    assert (result.camera, result.scene, result.threads) == ("CamB", None, 1)


@pytest.mark.parametrize(
    ("constants", "message"),
    [
        ({}, "BLEND_FILE is missing"),
        ({"BLEND_FILE": "../etc/passwd"}, "relative path inside"),
        ({"BLEND_FILE": "/abs.blend"}, "relative path inside"),
        ({"BLEND_FILE": "a.blend", "BLEND_ENGINE": "LUXCORE"}, "BLEND_ENGINE='LUXCORE'"),
        ({"BLEND_FILE": "a.blend", "BLEND_FORMAT": "GIF"}, "BLEND_FORMAT='GIF'"),
        ({"BLEND_FILE": "a.blend", "BLEND_CYCLES_SAMPLES": "many"}, "BLEND_CYCLES_SAMPLES='many'"),
    ],
)
def test_bad_constants_name_the_constant(constants: dict[str, str], message: str) -> None:
    with pytest.raises(JobSpecError, match=message.replace("(", r"\(")):
        spec(constants)
