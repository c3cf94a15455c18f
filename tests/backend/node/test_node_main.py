"""`hearth-node` wiring: the heat state it builds measures CPU load, and --site reaches the agent."""

from __future__ import annotations

import time

from backend.node.__main__ import node_config, node_heat, parse_args
from backend.node.room import Room, Thermostat

BURN_CPU_S = 0.2


def test_the_node_heat_state_reports_cpu_load_while_the_node_works() -> None:
    heat = node_heat(Room(t_air_c=18.0, thermostat=Thermostat(setpoint_c=19.0)), threads=None)
    start = time.process_time()
    while time.process_time() - start < BURN_CPU_S:
        pass  # the node's own CPU time, as a render would add

    heat.sample()

    assert heat.cpu_load > 0.0
    assert heat.power_w > 0.0


def test_a_ready_blender_is_kept_unless_the_node_is_told_not_to() -> None:
    base = ["--server", "http://127.0.0.1:1", "--name", "n1"]
    assert node_config(parse_args(base)).ready_blender is True
    assert node_config(parse_args([*base, "--no-ready-blender"])).ready_blender is False
