"""The `hearth` command (placeholder until the render_client issue lands)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="hearth",
        description="Hearth command-line client. NOT YET AVAILABLE: submit, sync, follow and download arrive "
        "with the render_client issue. Until then, use the qarnot SDK or boto3 against `hearth-server serve` "
        "(see README).",
    )
    parser.parse_args(argv)
    print("hearth: the command-line client is not built yet (see the render_client issue).", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
