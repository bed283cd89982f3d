"""Offline stand-in for Stripe (tests and the demo only): localstripe on 127.0.0.1, no disk dump.

localstripe (GPL, a test-only dependency) listens on every interface and pickles its state to /tmp
after each request; this launcher binds it to loopback and keeps it in memory.
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

DEMO_SECRET_KEY = "sk_test_offline_demo"
DEMO_PUBLISHABLE_KEY = "pk_test_offline_demo"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args(argv)

    from aiohttp import web
    from localstripe import server
    from localstripe.resources import store

    store.dump_to_disk = lambda: None  # keep the fake's state in memory only
    web.run_app(server.app, host="127.0.0.1", port=args.port, access_log=None, print=None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def start(port: int, *, timeout: float = 20.0) -> subprocess.Popen:
    """Start localstripe in a child process and wait until it answers.

    Raises:
        RuntimeError: the port is taken (another demo's localstripe, say) or it did not start.
    """
    if not port_is_free(port):
        raise RuntimeError(f"port {port} is taken; choose another with STRIPE_PORT=… (make run STRIPE_PORT=8421)")
    process = subprocess.Popen(
        [sys.executable, "-m", "shop.demo.localstripe", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("localstripe exited at start-up (is the 'demo' extra installed?)")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("localstripe did not start")


def register_webhook(base: str, url: str, secret: str, name: str = "shop") -> None:
    """Tell localstripe where to send signed events."""
    data = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{base}/_config/webhooks/{name}", data=data, method="POST"), timeout=5).close()


def reset(base: str) -> None:
    """Forget every object (between tests)."""
    urllib.request.urlopen(urllib.request.Request(f"{base}/_config/data", method="DELETE"), timeout=5).close()


if __name__ == "__main__":
    main()
