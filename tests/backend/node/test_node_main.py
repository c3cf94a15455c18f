"""`hearth-node` wiring: the heat state it builds measures CPU load, and --site reaches the agent."""

from __future__ import annotations

import time

from backend.node.__main__ import node_heat
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
