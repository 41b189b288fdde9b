"""``python -m portal_audit.sample --port 8765 [--host 127.0.0.1]``: serve a sample portal."""

from __future__ import annotations

import argparse
import sys
import threading

from . import build_portal, serve
from .model import DEFAULT_HOSTS


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m portal_audit.sample", description=__doc__)
    ap.add_argument("--port", type=int, default=8765, help="port shared by all hosts (0 = any free port)")
    ap.add_argument("--host", default=DEFAULT_HOSTS[0], help="loopback address of the main site")
    ap.add_argument("--kind", choices=("full", "second", "bench"), default="full")
    ap.add_argument("--pages", type=int, default=20000, help="page count of the bench portal")
    ap.add_argument("--ipv6", action="store_true", help="also listen on [::1]")
    args = ap.parse_args(argv)

    hosts = (args.host,) + tuple(h for h in DEFAULT_HOSTS[1:] if h != args.host)
    portal = build_portal(args.kind, pages=args.pages)
    try:
        srv = serve(portal, hosts=hosts, port=args.port, ipv6=args.ipv6)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(srv.base_url, flush=True)
    print(
        f"# {portal.description}: {portal.pages} pages, {len(srv.expected)} planted defects; "
        f"other host {srv.base('other')}/, spam host {srv.base('spam')}/. Ctrl-C to stop.",
        file=sys.stderr,
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
