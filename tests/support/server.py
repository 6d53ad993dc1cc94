"""A real HTTP server in a child process for end-to-end and browser tests: one way to start it,
wait for it and stop it."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def get(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any], bytes]:
        return self.send(urllib.request.Request(self.url + path, headers=headers or {}))

    def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any], bytes]:
        return self.send(urllib.request.Request(self.url + path, body, headers or {}))

    def send(self, request: urllib.request.Request) -> tuple[int, dict[str, Any], bytes]:
        """(status, headers, body) of one request; an error status is an answer, not a raise."""
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


@contextmanager
def running(
    command: Sequence[str], *, port: int, env: dict[str, str], cwd: Path
) -> Iterator[LiveServer]:
    """Run `command` (a server listening on `port`), wait until `/api/health` answers at all
    (any status: a degraded server is still up), yield it, then stop and reap it."""
    url = f"http://127.0.0.1:{port}"
    log = cwd / f"server-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command), env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT
        )
    server = LiveServer(url, process, log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(server: LiveServer) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited: {server.log.read_text(errors='replace')}")
        try:
            server.get("/api/health")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not start: {server.log.read_text(errors='replace')}")
