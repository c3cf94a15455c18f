"""The `hearth` command: argument parsing, connection settings and the error -> exit code mapping."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Callable

from render_client import cli_commands as commands
from render_client.cli_support import (
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Context,
    Output,
    UsageError,
    exit_code_for,
)
from render_client.errors import HearthError, ServerRefused
from render_client.submit import ENGINES, POLICIES
from render_client.sync import DEFAULT_WORKERS

EPILOG = """\
connection: --server > $HEARTH_SERVER > the farm of the last `hearth login`;
            --token  > $HEARTH_TOKEN  > the token stored by `hearth login` (system keyring);
            --ca-bundle > $HEARTH_CA_BUNDLE > the system's CAs (HTTPS farms only).

exit codes:
  0    ok
  1    the task failed or was cancelled (or another operation failed; the message says why)
  2    usage: wrong or missing arguments
  3    cannot reach the farm (network, URL, server not running)
  4    not authorized: not logged in, or the token was refused
  5    the farm refused the request (bad request, quota, conflict)
  6    packing problem: missing files (see --allow-missing) or an unreadable scene
  70   unexpected internal error (a bug: please report it; HEARTH_DEBUG=1 shows the traceback)
  130  interrupted (Ctrl-C)
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with exit code 2 and no traceback (its default, kept explicit)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"hearth: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _render_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--frames", required=True, help="frames to render, e.g. 1-250, 1-100:5 or 1-10,20")
    p.add_argument("--name", help="task name (default: the scene's name)")
    p.add_argument("--engine", type=str.upper, choices=ENGINES, help="render engine (default: the scene's)")
    p.add_argument("--samples", type=int, help="Cycles samples per pixel")
    p.add_argument("--resolution-percent", type=int, help="resolution percentage, 1-100")
    p.add_argument("--format", dest="file_format", type=str.upper, help="output format: PNG, JPEG, EXR...")
    p.add_argument("--camera", help="camera object to render through")
    p.add_argument("--scene", dest="scene_name", help="scene (inside the .blend) to render")
    p.add_argument("--priority", type=int, help="priority among your tasks, -100..100 (default 0)")
    p.add_argument("--policy", choices=POLICIES, default="heat-first", help="node placement policy")
    p.add_argument("--wait", action="store_true", help="follow the task until it is finished")
    p.add_argument("--download", type=os.path.abspath, metavar="DIR", help="download frames as they finish")


def _main_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--main",
        metavar="NAME",
        help="the .blend to render when the scene folder holds several (path inside the folder)",
    )


def _global_options(p: argparse.ArgumentParser, *, default_json: object, default: object) -> None:
    p.add_argument("--server", default=default, help="farm URL, e.g. http://127.0.0.1:8080")
    p.add_argument("--token", default=default, help="API token (prefer `hearth login`: a flag shows in `ps`)")
    p.add_argument(
        "--json", action="store_true", default=default_json, help="machine-readable output on stdout"
    )
    p.add_argument(
        "--ca-bundle",
        metavar="PEM",
        default=default,
        help="CA certificate(s) to trust for an HTTPS farm with a private CA (default: $HEARTH_CA_BUNDLE)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hearth",
        description="Render Blender scenes on a Hearth farm (Qarnot-compatible API).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _global_options(parser, default_json=False, default=None)
    # The same flags after the subcommand (`hearth login URL --token T`); SUPPRESS keeps a flag given
    # before the subcommand from being overwritten by the subcommand's default.
    shared = _Parser(add_help=False)
    _global_options(shared, default_json=argparse.SUPPRESS, default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    add = functools.partial(sub.add_parser, parents=[shared])

    login = add("login", help="check a token against a farm and store it in the keyring")
    login.add_argument("url", nargs="?", help="farm URL (default: --server / $HEARTH_SERVER)")
    add("logout", help="forget the stored token of the farm")

    submit = add("submit", help="pack, upload and render a scene")
    submit.add_argument("scene", type=os.path.abspath, help="a .blend file or a scene folder")
    _render_options(submit)
    _main_option(submit)
    submit.add_argument("--allow-missing", action="store_true", help="submit even if files are missing")
    submit.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help=argparse.SUPPRESS)

    sync = add("sync", help="upload a scene without rendering it")
    sync.add_argument("scene", type=os.path.abspath, help="a .blend file or a scene folder")
    _main_option(sync)
    sync.add_argument("--allow-missing", action="store_true", help="upload even if files are missing")
    sync.add_argument("--delete", action="store_true", help="remove files no longer in the scene")
    sync.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="parallel uploads (default 16)")

    add("status", help="list your tasks")
    follow = add("follow", help="show a task's progress live until it ends")
    follow.add_argument("task", help="task UUID")
    download = add("download", help="download a task's frames into a folder")
    download.add_argument("task", help="task UUID")
    download.add_argument("dir", type=os.path.abspath, help="destination folder")
    download.add_argument("--wait", action="store_true", help="keep downloading until the task ends")
    cancel = add("cancel", help="abort a task")
    cancel.add_argument("task", help="task UUID")
    add("nodes", help="list the farm's heater nodes")
    carbon = add("carbon", help="show a task's energy and carbon facts")
    carbon.add_argument("task", help="task UUID")

    farm = add("local-farm", help="run a farm on this computer and log in to it")
    farm.add_argument("--data-dir", help="where the farm keeps its data (default: the server's)")
    farm.add_argument("--port", type=int, help="port to listen on (default: the server's)")
    farm.add_argument("--nodes", type=int, help="local heater nodes to run")
    return parser


COMMANDS: dict[str, Callable[[Context], int]] = {
    "login": commands.login,
    "logout": commands.logout,
    "submit": commands.submit,
    "sync": commands.sync,
    "status": commands.status,
    "follow": commands.follow,
    "download": commands.download,
    "cancel": commands.cancel,
    "nodes": commands.nodes,
    "carbon": commands.carbon,
    "local-farm": commands.local_farm,
}


def _with_next_step(exc: HearthError, args: argparse.Namespace) -> str:
    if isinstance(exc, ServerRefused) and exc.status == 404 and getattr(args, "task", None):
        return f"{exc.message}; `hearth status` lists your tasks and their ids"
    return exc.message


def main(argv: list[str] | None = None) -> int:
    # Every warning render_client logs reaches the user through a command's own output; without a handler,
    # Python's last-resort handler would print it a second time (the keyring fallback warning at login).
    library_log = logging.getLogger("render_client")
    if not library_log.handlers:
        library_log.addHandler(logging.NullHandler())
    args = build_parser().parse_args(argv)
    out = Output(json_mode=args.json)
    try:
        return COMMANDS[args.command](Context(args, out))
    except KeyboardInterrupt:
        out.error("interrupted")
        return EXIT_INTERRUPTED
    except UsageError as exc:
        out.error(exc.message)
        return EXIT_USAGE
    except HearthError as exc:
        out.error(_with_next_step(exc, args))
        return exit_code_for(exc)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        out.error(f"{exc.strerror or exc}{where}; check the path and its permissions")
        return EXIT_FAILED
    except Exception as exc:  # the last resort: a clear line, not a traceback
        if os.environ.get("HEARTH_DEBUG"):
            raise
        out.error(
            f"unexpected error ({type(exc).__name__}: {exc}); this is a bug in hearth: please report it "
            "with the command you ran (HEARTH_DEBUG=1 shows the traceback)"
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
