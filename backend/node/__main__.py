"""`hearth-node`: run a heater-node agent against a farm server."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from backend.node.agent import NodeAgent, NodeConfig
from backend.node.client import NodeClient, TlsConfig
from backend.node.heat import HeatState
from backend.node.meters import MODEL_WATTS_PER_CORE, node_cores, probe_meter
from backend.node.process_tree import node_cpu_seconds
from backend.node.room import DEFAULT_SETPOINT_C, Room, Thermostat

SITE_KEYS = (
    "grid_ci_g_per_kwh",
    "pue",
    "displaced_heat_ef_g_per_kwh",
    "heat_capture_efficiency",
    "wue_l_per_kwh",
)
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth-node",
        description="Run a Hearth heater node: claim frames, render them in Blender, heat a room.",
    )
    parser.add_argument(
        "--server", default=os.environ.get("HEARTH_SERVER"), help="farm URL (or $HEARTH_SERVER)"
    )
    parser.add_argument("--name", required=True, help="this node's name, as registered on the farm")
    parser.add_argument("--token", default=None, help="node token (default: $HEARTH_NODE_TOKEN)")
    parser.add_argument("--blender", default=None, help="a `blender` executable; default: the bpy module")
    parser.add_argument("--work-dir", type=Path, default=None, help="scratch and cache directory")
    parser.add_argument("--threads", type=int, default=None, help="render threads (default: all cores)")
    parser.add_argument("--heartbeat", type=float, default=5.0, help="seconds between heartbeats (default 5)")
    parser.add_argument(
        "--no-ready-blender",
        dest="ready_blender",
        action="store_false",
        help="do not keep a Blender started while idle (saves ~400 MB; a task's first frame then "
        "starts ~0.4 s later)",
    )
    parser.add_argument(
        "--site",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"site parameter for carbon facts, repeatable; keys: {', '.join(SITE_KEYS)}",
    )
    parser.add_argument(
        "--room-start", type=float, default=None, help="simulated room's starting temperature, °C"
    )
    parser.add_argument("--setpoint", type=float, default=DEFAULT_SETPOINT_C, help="room set-point, °C")
    parser.add_argument(
        "--ca-cert", default=os.environ.get("HEARTH_NODE_CA"), help="CA bundle of the server (TLS)"
    )
    parser.add_argument(
        "--client-cert", default=os.environ.get("HEARTH_NODE_CERT"), help="this node's certificate"
    )
    parser.add_argument("--client-key", default=os.environ.get("HEARTH_NODE_KEY"), help="its private key")
    return parser


def _site(pairs: list[str]) -> dict[str, float | str]:
    site: dict[str, float | str] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key not in SITE_KEYS:
            raise SystemExit(f"hearth-node: unknown --site key {key!r}; use one of {', '.join(SITE_KEYS)}")
        try:
            site[key] = float(value)
        except ValueError:
            raise SystemExit(f"hearth-node: --site {key} needs a number, not {value!r}") from None
    return site


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return _parser().parse_args(argv)


def node_config(args: argparse.Namespace) -> NodeConfig:
    """The agent's settings from the command line; `--site` pairs travel in every heartbeat."""
    return NodeConfig(
        name=args.name,
        work_dir=args.work_dir or Path.home() / ".cache" / "hearth" / "node" / args.name,
        blender=args.blender,
        threads=args.threads,
        heartbeat_interval_s=args.heartbeat,
        site=_site(args.site),
        ready_blender=args.ready_blender,
    )


def node_heat(room: Room, threads: int | None) -> HeatState:
    """The node's power meter, CPU load and room, over the cores it owns (its CPU affinity)."""
    cores = node_cores()
    meter = probe_meter(cpu_seconds=node_cpu_seconds, cores=cores)
    busy_w = (threads or cores) * MODEL_WATTS_PER_CORE
    return HeatState(room, meter, busy_power_w=busy_w, cpu_seconds=node_cpu_seconds, cores=cores)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    token = args.token or os.environ.get("HEARTH_NODE_TOKEN")
    if not args.server or not token:
        print(
            "hearth-node: give --server and a node token (--token or $HEARTH_NODE_TOKEN); the farm operator "
            "creates one with `hearth-server node add NAME`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {args.name} %(levelname)s %(message)s")
    config = node_config(args)
    start = args.room_start if args.room_start is not None else args.setpoint - 1.5
    room = Room(t_air_c=start, thermostat=Thermostat(setpoint_c=args.setpoint))
    heat = node_heat(room, args.threads)
    client = NodeClient(args.server, token, TlsConfig(args.ca_cert, args.client_cert, args.client_key))
    agent = NodeAgent(config, client, heat)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        agent.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    agent.run()
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
