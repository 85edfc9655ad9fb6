"""The ``legcheck`` console command.

``legcheck serve`` runs the local endpoint. Each sub-command lives in its own
``_cmd_*`` function registered in :func:`build_parser`.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import socket
import sys
from collections.abc import Sequence

log = logging.getLogger("legcheck.cli")


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def _cmd_serve(args: argparse.Namespace) -> int:
    from skill.errors import ConfigError
    from skill.web import create_app

    config: dict[str, object] = {}
    if args.no_verify:
        if not is_loopback(args.host):
            print(f"legcheck serve: refusing to listen on {args.host} without request "
                  "verification; --no-verify is for 127.0.0.1 only", file=sys.stderr)
            return 2
        log.warning("request verification is OFF (--no-verify): for local development only")
        config["LEGCHECK_VERIFY"] = False
    try:
        app = create_app(config)
    except ConfigError as exc:
        print(f"legcheck serve: {exc}", file=sys.stderr)
        return 2
    print(f"Leg Check is listening on http://{args.host}:{args.port}/ "
          "(POST Alexa request envelopes to /; try: legcheck simulate --url "
          f"http://{args.host}:{args.port}/)", flush=True)
    app.run(host=args.host, port=args.port, debug=False, use_reloader=False)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="legcheck",
        description="Leg Check: an Alexa skill for post-run check-ins. "
                    "Information, not a diagnosis.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the skill's web endpoint for local development")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=5000, help="port to listen on")
    serve.add_argument("--no-verify", action="store_true",
                       help="skip Alexa request verification (loopback only, development only)")
    serve.set_defaults(func=_cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
