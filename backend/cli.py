"""The `hearth-server` and `hearth-node` commands."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path

from backend.accounts.secrets import load_or_create_server_key
from backend.accounts.service import AccountError, AccountService
from backend.config import (
    DEFAULT_HEARTBEAT_TIMEOUT_S,
    DEFAULT_HEAT_WAIT_S,
    DEFAULT_LOCAL_NODES,
    DEFAULT_PORT,
    Settings,
    default_data_dir,
    external_s3_from_env,
)
from backend.db.session import Database

EXIT_USAGE = 2
EXIT_REFUSED = 3


def _add_store_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="farm data directory (default: $HEARTH_DATA_DIR or ~/.local/share/hearth/farm)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("HEARTH_DATABASE_URL"),
        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/hearth (default: SQLite in the data dir)",
    )


def _server_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth-server", description="Run and administer a Hearth farm server."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the REST API and the S3 storage endpoint")
    serve.add_argument("--host", default=os.environ.get("HEARTH_HOST", "127.0.0.1"))
    serve.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("HEARTH_PORT", DEFAULT_PORT)),
        help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    _add_store_args(serve)
    serve.add_argument("--tls-cert", type=Path, help="PEM certificate: serve HTTPS")
    serve.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")
    serve.add_argument(
        "--client-ca", type=Path, help="CA that signs node client certificates: nodes then connect with mTLS"
    )
    serve.add_argument(
        "--node-port",
        type=int,
        default=0,
        help="port of the mTLS node listener (with --client-ca; 0 = any free)",
    )
    serve.add_argument(
        "--nodes",
        type=int,
        default=int(os.environ.get("HEARTH_LOCAL_NODES", DEFAULT_LOCAL_NODES)),
        help=f"local heater nodes to run beside the server (default {DEFAULT_LOCAL_NODES}; 0 for none)",
    )
    serve.add_argument(
        "--heat-wait",
        type=float,
        default=DEFAULT_HEAT_WAIT_S,
        help=f"seconds a frame waits for a room wanting heat (default {DEFAULT_HEAT_WAIT_S:g})",
    )
    serve.add_argument(
        "--heartbeat-timeout",
        type=float,
        default=DEFAULT_HEARTBEAT_TIMEOUT_S,
        help=f"seconds a silent node keeps its frame (default {DEFAULT_HEARTBEAT_TIMEOUT_S:g})",
    )
    serve.add_argument("--public-url", help="URL clients use to reach this server, if not host:port")
    serve.add_argument(
        "--credentials-via-stdout",
        action="store_true",
        help="print the local account's token on a HEARTH_CREDENTIALS stdout line for the parent "
        "process (the desktop app) instead of writing local-credentials.json (an old one is removed)",
    )
    serve.add_argument(
        "--storage-engine",
        choices=["local", "s3"],
        default=os.environ.get("HEARTH_STORAGE_ENGINE", "local"),
        help="where objects live: local disk, or an external S3 store set by HEARTH_S3_ENDPOINT, "
        "HEARTH_S3_ACCESS_KEY, HEARTH_S3_SECRET_KEY, HEARTH_S3_REGION, HEARTH_S3_BUCKET_PREFIX",
    )

    user = sub.add_parser("user", help="manage accounts and their API tokens")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="create an account and print its new API token on stdout")
    add.add_argument("email")
    _add_store_args(add)
    token = user_sub.add_parser("token", help="issue another API token for an existing account")
    token.add_argument("email")
    _add_store_args(token)
    listing = user_sub.add_parser("list", help="list accounts and their number of active tokens")
    _add_store_args(listing)
    revoke = user_sub.add_parser("revoke", help="revoke every API token of an account")
    revoke.add_argument("email")
    _add_store_args(revoke)
    node = sub.add_parser("node", help="manage heater-node credentials")
    node_sub = node.add_subparsers(dest="node_command", required=True)
    node_add = node_sub.add_parser("add", help="register a node and print its token on stdout")
    node_add.add_argument("name")
    node_add.add_argument("--rotate", action="store_true", help="issue a new token for an existing node")
    _add_store_args(node_add)
    node_list = node_sub.add_parser("list", help="list nodes, their state and when they were last seen")
    _add_store_args(node_list)
    return parser


def _settings_from(args: argparse.Namespace) -> Settings:
    if args.tls_cert and not args.tls_key:
        raise SystemExit("hearth-server: --tls-cert needs --tls-key (the certificate's private key)")
    if args.client_ca and not args.tls_cert:
        raise SystemExit("hearth-server: --client-ca (mTLS for nodes) needs --tls-cert and --tls-key")
    external = external_s3_from_env()
    if args.storage_engine == "s3" and external is None:
        raise SystemExit(
            "hearth-server: --storage-engine s3 needs HEARTH_S3_ENDPOINT (and its access and secret keys)"
        )
    return Settings(
        data_dir=(args.data_dir or default_data_dir()).expanduser().resolve(),
        host=args.host,
        port=args.port,
        database_url=args.database_url,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        client_ca=args.client_ca,
        public_url=args.public_url,
        storage_engine=args.storage_engine,
        external_s3=external,
        local_nodes=max(0, args.nodes),
        heat_wait_s=args.heat_wait,
        heartbeat_timeout_s=args.heartbeat_timeout,
        node_port=args.node_port,
    )


def _account_service(args: argparse.Namespace) -> AccountService:
    data_dir = (args.data_dir or default_data_dir()).expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{data_dir / 'hearth.db'}"
    return AccountService(Database(url), load_or_create_server_key(data_dir))


def _run_node_command(args: argparse.Namespace) -> int:
    from backend.fleet.registry import NodeError, NodeRegistry

    data_dir = (args.data_dir or default_data_dir()).expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    registry = NodeRegistry(Database(args.database_url or f"sqlite:///{data_dir / 'hearth.db'}"))
    try:
        if args.node_command == "add":
            print(registry.add(args.name, replace_token=args.rotate))
        else:
            for node in registry.summaries(timedelta(seconds=DEFAULT_HEARTBEAT_TIMEOUT_S)):
                seen = node.last_seen.isoformat() if node.last_seen else "never"
                print(f"{node.name}\t{node.state}\tlast seen {seen}")
    except NodeError as exc:
        print(f"hearth-server: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    return 0


def _run_user_command(args: argparse.Namespace) -> int:
    service = _account_service(args)
    try:
        if args.user_command == "add":
            service.create_account(args.email)
            print(service.issue_token(args.email, label="cli"))
        elif args.user_command == "token":
            print(service.issue_token(args.email, label="cli"))
        elif args.user_command == "list":
            for email, active in service.list_accounts():
                print(f"{email}\t{active} active token(s)")
        elif args.user_command == "revoke":
            count = service.revoke(args.email)
            print(f"revoked {count} token(s) of {args.email}", file=sys.stderr)
    except AccountError as exc:
        print(f"hearth-server: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    return 0


def server_main(argv: list[str] | None = None) -> int:
    args = _server_parser().parse_args(argv)
    if args.command == "user":
        return _run_user_command(args)
    if args.command == "node":
        return _run_node_command(args)
    from backend.server import run_foreground

    if args.credentials_via_stdout:
        from backend.local_account import deliver_over_stdout

        deliver_over_stdout()
    return run_foreground(_settings_from(args))


def node_main(argv: list[str] | None = None) -> int:
    from backend.node.__main__ import main

    return main(argv)


if __name__ == "__main__":
    sys.exit(server_main())
