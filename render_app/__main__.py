"""`hearth-app` entry point (placeholder until the desktop-app issue lands)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="hearth-app",
        description="Hearth desktop app. NOT YET AVAILABLE: it arrives with the desktop-app issue. "
        "`make run` starts the local farm server meanwhile.",
    )
    parser.parse_args(argv)
    print("hearth-app: the desktop app is not built yet (see the desktop-app issue).", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
