"""Run an app under gunicorn on 127.0.0.1 and send it a bounded load: for the load test and
``scripts/bench_http.py``.

:class:`GunicornServer` binds a listening socket to 127.0.0.1 on a free port itself and hands it
to gunicorn (``--bind fd://N``), so there is no race for the port; it waits for ``/health``,
and stops the server it started (by its own process id) on exit. :func:`send_all` sends a fixed
list of requests from a few threads, one connection each, and returns every status and body.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from skill.tools.paths import REPO_ROOT

SCRIPTS = REPO_ROOT / "scripts"


@dataclass(frozen=True)
class Sent:
    """One request as it goes over the wire: body and headers."""

    body: bytes
    headers: Mapping[str, str]


class GunicornServer:
    """``gunicorn`` serving ``app_spec`` (e.g. ``http_apps:legcheck_app()``) on 127.0.0.1."""

    def __init__(
        self,
        app_spec: str,
        *,
        env: Mapping[str, str] | None = None,
        workers: int = 2,
        start_timeout: float = 30.0,
    ) -> None:
        self.app_spec = app_spec
        self.env = dict(env or {})
        self.workers = workers
        self.start_timeout = start_timeout
        self.port = 0
        self._socket: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None
        # gunicorn's output goes to a file: a pipe nobody reads could fill and stall it
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())

    def __enter__(self) -> GunicornServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        self._socket = sock
        self.port = sock.getsockname()[1]
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--pythonpath",
                str(SCRIPTS),
                "--bind",
                f"fd://{sock.fileno()}",
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
                "--graceful-timeout",
                "5",
                *_no_control_socket(),
                self.app_spec,
            ],
            env=env,
            pass_fds=(sock.fileno(),),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_healthy()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {self._process.returncode}: {self.output()[-2000:]}"
                )
            try:
                status, _ = request(self.port, "GET", "/health", b"", {}, timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer /health within {self.start_timeout:g} s")

    def worker_cpu_seconds(self) -> float:
        """CPU time (user and system) the server's processes have used so far, in seconds.

        Read from ``/proc``: the master and its workers (a worker that was replaced no longer
        counts, so compare readings taken while the same workers run). Unlike requests per
        second, this does not depend on what else the machine is doing at the time.
        """
        if self._process is None:
            return 0.0
        master = self._process.pid
        pids = [master]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                fields = _stat_fields(entry / "stat")
                if fields and int(fields[1]) == master:
                    pids.append(int(entry.name))
        ticks = 0
        for pid in pids:
            fields = _stat_fields(Path("/proc") / str(pid) / "stat")
            if fields:
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def output(self) -> str:
        """What gunicorn (and the app's log) printed so far."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)  # gunicorn stops its own workers
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def close(self) -> None:
        self._log.close()


def _no_control_socket() -> list[str]:
    """The flag that turns gunicorn's control socket off, where this gunicorn has one (25.1+).

    Its socket sits at one path per user (``~/.gunicorn/gunicorn.ctl``): two servers at once,
    as in a parallel test run, would fight over it, and the tests write nothing in the home
    folder."""
    from gunicorn.config import KNOWN_SETTINGS

    known = {setting.name for setting in KNOWN_SETTINGS}
    return ["--no-control-socket"] if "control_socket_disable" in known else []


def _stat_fields(path: Path) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, ...), or None."""
    try:
        text = path.read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def request(
    port: int,
    method: str,
    path: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(
            method, path, body=body, headers={"Content-Type": "application/json", **headers}
        )
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


def send_all(port: int, requests: Sequence[Sent], threads: int = 4) -> list[tuple[int, bytes]]:
    """POST every request to / from ``threads`` threads; statuses and bodies, in order."""
    results: list[tuple[int, bytes]] = [(0, b"")] * len(requests)
    lock = threading.Lock()
    cursor = iter(range(len(requests)))

    def worker() -> None:
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            sent = requests[index]
            results[index] = request(port, "POST", "/", sent.body, sent.headers)

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(worker) for _ in range(threads)]:
            future.result()
    return results
