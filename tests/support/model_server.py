"""A real `ledger serve` subprocess for tests: started, its URL read from its output, stopped."""

from __future__ import annotations

import dataclasses
import http.client
import json
import signal
import subprocess
import threading
import urllib.error
import urllib.request


@dataclasses.dataclass
class Server:
    """A running `ledger serve` subprocess, the base URL it printed and everything it said."""

    process: subprocess.Popen
    url: str
    stdout: list
    stderr: list
    loading_status: tuple | None = None  # the status API's answer while the model loaded

    @property
    def port(self) -> int:
        return int(self.url.split(":")[2].split("/")[0])

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


def start(argv: list[str], env: dict, timeout: float) -> Server:
    """Start `argv` (a `ledger serve` command line) and wait for its "listening on" line."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
    server = Server(process, "", [], [])
    listening = threading.Event()

    def read_stdout():
        for line in process.stdout:
            server.stdout.append(line)
            if line.startswith("loading ") and " bound" in line:
                port = line.split("; port ")[1].split()[0]
                name = line.split()[1].split("@")[0]
                server.loading_status = call(f"http://127.0.0.1:{port}/v1/models/{name}")
            if line.startswith("listening on "):
                server.url = line.split()[-1]
                listening.set()
        listening.set()

    threading.Thread(target=read_stdout, daemon=True).start()
    threading.Thread(target=lambda: server.stderr.extend(process.stderr), daemon=True).start()
    if not listening.wait(timeout) or not server.url:
        server.stop()
        raise RuntimeError(f"ledger serve did not start in {timeout} s (exit "
                           f"{process.poll()}): {''.join(server.stderr)[-2000:]}")
    return server


def call(url: str, body=None) -> tuple[int, dict]:
    """One request on a new connection: (status, JSON body), errors included."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class KeepAliveClient:
    """One HTTP/1.1 connection reused for every request, as real clients do."""

    def __init__(self, port: int, timeout: float = 60):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        self.connection.request("POST", path, json.dumps(body),
                                {"Content-Type": "application/json"})
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())

    def close(self) -> None:
        self.connection.close()
