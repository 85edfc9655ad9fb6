"""``legcheck serve --no-verify`` in a child process on a free loopback port, for the tests
that talk to it over real HTTP.

A port is picked by binding port 0 and letting it go, then the server binds it: another
process (a parallel test worker) could take it in between. The kernel picks such ports at
random, so that is rare; when it happens the server exits saying the port is in use, and
:class:`LegcheckServer` starts it again on another port.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from types import TracebackType

from skill.tools.cli import IN_USE


def free_port() -> int:
    """A loopback port nothing listens on at the moment."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stopped(process: subprocess.Popen[str]) -> str:
    """What ``process``, asked to stop, wrote to stderr, once it has ended (killed after 10 s)."""
    try:
        _, errors = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        _, errors = process.communicate(timeout=5)
    return errors


class LegcheckServer:
    """``legcheck serve --no-verify`` with ``env``, answering ``GET /health`` at ``url``.

    Stopped (by its own process id) on exit; then ``errors`` holds what it wrote to stderr.
    """

    def __init__(
        self, env: Mapping[str, str], *, start_timeout: float = 20.0, attempts: int = 3
    ) -> None:
        self.env = dict(env)
        self.start_timeout = start_timeout
        self.attempts = attempts
        self.url = ""
        self.errors = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> LegcheckServer:
        for attempt in range(1, self.attempts + 1):
            port = free_port()
            self.url = f"http://127.0.0.1:{port}/"
            self._process = subprocess.Popen(
                [sys.executable, "-m", "skill.tools.cli", "serve", "--no-verify"]
                + ["--port", str(port)],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            if self._wait_until_healthy():
                return self
            self._stop()
            if IN_USE not in self.errors or attempt == self.attempts:
                break
        raise RuntimeError(f"legcheck serve did not start: {self.errors[-2000:]}")

    def _wait_until_healthy(self) -> bool:
        """True once the server answers; False if it exited or did not answer in time."""
        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout
        while self._process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "health", timeout=2) as reply:
                    if reply.status == 200:
                        return self._process.poll() is None
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        return False

    def _stop(self) -> None:
        """Stop the server if it still runs, and keep what it wrote to stderr."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
        self.errors = stopped(self._process)
        self._process = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()


class AnyPortServer:
    """``legcheck serve --no-verify --port 0`` with ``env``: ``line`` is the first line it
    printed (where it listens). Stopped with Ctrl-C (SIGINT, by its own process id) on exit;
    then ``returncode`` and ``errors`` (its stderr) say how it ended."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = dict(env)
        self.line = ""
        self.errors = ""
        self.returncode: int | None = None
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> AnyPortServer:
        command = [sys.executable, "-m", "skill.tools.cli", "serve", "--no-verify", "--port", "0"]
        process = subprocess.Popen(
            command, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self._process = process
        assert process.stdout is not None
        self.line = process.stdout.readline()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process = self._process
        if process is None:
            return
        process.send_signal(signal.SIGINT)
        self.errors = stopped(process)
        self.returncode = process.returncode
