"""`ledger serve` over keep-alive HTTP vs a direct Predictor call, start-up, and `ledger drift`.

Prints the JSON report, then `uptime` and each of issue 17's targets with its figure, PASS/FAIL.

Needs a ledger home with a pushed model (`ledger run`). Works on a scratch copy of its MLMD
store, so captures land there. Receipts are signed (Ed25519, the scratch home's service key)
and every prediction is captured, in the server and in the direct Predictor alike.
HTTP and direct calls alternate round by round, so load from other jobs hits both.

The judged HTTP figures come from a lean load generator (benchmarks.http_load: raw sockets,
wrk's closed loop), since the client shares the two cores with the server; the same requests
sent through `http.client`, which costs the client about 0.2 ms more a request, are reported
beside them (`*_http_client`).
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from statistics import median

from benchmarks import http_load
from benchmarks.homes import add_home_options, existing_home
from benchmarks.targets import Target, finish, machine, percentiles
from components.infra_validator.tf_runtime import LEAN
from pipeline.paths import LedgerPaths
from tests.support import model_server

ROW = {"island": "Biscoe", "bill_length_mm": 46.5, "bill_depth_mm": 15.2,
       "flipper_length_mm": 216.0, "body_mass_g": 5100.0, "sex": "female"}
LEDGER = [sys.executable, "-m", "pipeline.cli"]


def _cpu_seconds(pid: int) -> float:
    """A running process's user + system CPU seconds (what other jobs do not inflate much)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ready_seconds(home: str, identifier: str, env: dict) -> tuple[float, float, object]:
    """Process start to the first AVAILABLE status answer, wall and the server's CPU seconds
    (the figure other jobs on the machine do not inflate); the server is left running."""
    started = time.perf_counter()
    server = model_server.start([*LEDGER, "--home", home, "serve", identifier, "--port", "0"],
                                env, timeout=300)
    while model_server.call(server.url)[1]["model_version_status"][0]["state"] != "AVAILABLE":
        time.sleep(0.01)
    return time.perf_counter() - started, _cpu_seconds(server.process.pid), server


def _started_and_stopped(home: str, identifier: str, env: dict) -> tuple[float, float]:
    wall, cpu, server = ready_seconds(home, identifier, env)
    server.stop()
    return wall, cpu


def busy_port_seconds(home: str, identifier: str, env: dict) -> tuple[float, float, bool]:
    """`ledger serve` on a port another socket holds: wall and CPU seconds to exit, and
    whether it exited non-zero naming the port."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        before, started = os.times(), time.perf_counter()
        done = subprocess.run([*LEDGER, "--home", home, "serve", identifier, "--port", str(port)],
                              env=env, capture_output=True, text=True, timeout=120)
        wall, after = time.perf_counter() - started, os.times()
    cpu = (after.children_user + after.children_system
           - before.children_user - before.children_system)
    return wall, cpu, done.returncode != 0 and f"port {port}" in done.stderr


def timed(call, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def alternating(paths: dict, rounds: int, per_round: int) -> tuple[dict, list]:
    """Blocks of each path in turn, the order rotating; per round, each path's median over the
    first path's (the direct call)."""
    names, samples, ratios = list(paths), {name: [] for name in paths}, []
    for r in range(rounds):
        medians = {}
        for name in names[r % len(names):] + names[:r % len(names)]:
            block = timed(paths[name], per_round)
            samples[name] += block
            medians[name] = median(block)
        ratios.append({name: medians[name] / medians[names[0]] for name in names[1:]})
    return samples, ratios


def concurrent(connect, clients: int, per_client: int) -> list[float]:
    """`clients` threads at once, each calling its own `connect()` -> (call, close) in a loop;
    every call's latency."""
    samples, lock = [], threading.Lock()

    def work():
        call, close = connect()
        mine = timed(call, per_client)
        close()
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def keep_alive_client(port: int, path: str):
    """A connect() for concurrent(): one keep-alive connection posting one instance."""
    client = model_server.KeepAliveClient(port)
    return lambda: client.post(path, {"instances": [dict(ROW)]}), client.close


def drift_seconds(home: str, identifier: str, env: dict) -> tuple[float, float, int, str]:
    """`ledger drift` as a whole process: wall and CPU seconds, exit code, stderr."""
    before, started = os.times(), time.perf_counter()
    done = subprocess.run([*LEDGER, "--home", home, "drift", identifier], env=env,
                          capture_output=True, text=True, timeout=300)
    after = os.times()
    cpu = (after.children_user + after.children_system
           - before.children_user - before.children_system)
    return time.perf_counter() - started, cpu, done.returncode, done.stderr


def start_starlette(home: str, identifier: str, env: dict):
    """The same Predictor behind Starlette on uvicorn, in a process of its own, and a client."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "benchmarks.starlette_front", home,
                                identifier, str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    return process, _connect(port, process)


def _connect(port: int, process, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            client = model_server.KeepAliveClient(port)
            client.connection.connect()
            return client
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the Starlette front did not start")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(home: str, identifier: str, rounds: int, per_round: int, per_client: int,
        compare_starlette: bool, restarts: int = 2) -> dict:
    scratch = tempfile.mkdtemp(prefix="bench_serve_")
    shutil.copy(os.path.join(home, "metadata.sqlite"), scratch)
    # The home's keys and allowed signers: the pushed model's signature is checked against them.
    for name in ("allowed_signers", "keys"):
        source = os.path.join(home, name)
        if os.path.isdir(source):
            shutil.copytree(source, os.path.join(scratch, name))
        elif os.path.exists(source):
            shutil.copy(source, scratch)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    load_before = os.getloadavg()
    from pipeline.serving.predictor import Predictor

    report, starlette = {}, None
    try:
        ready, ready_cpu, server = ready_seconds(scratch, identifier, env)
        if compare_starlette:
            starlette = start_starlette(scratch, identifier, env)
        try:
            with Predictor.load(identifier, LedgerPaths(scratch), runtime=LEAN) as predictor:
                path = f"/v1/models/{predictor.version.model_name}:predict"
                body = {"instances": [dict(ROW)]}
                lean = http_load.Connection(server.port, path)
                client = model_server.KeepAliveClient(server.port)
                paths = {"direct": lambda: predictor.predict([dict(ROW)]),
                         "ledger": lambda: lean.post(body),
                         "http_client": lambda: client.post(path, body)}
                if starlette:
                    paths["starlette"] = lambda: starlette[1].post(path, body)
                alternating(paths, 3, 50)  # warm every path
                samples, ratios = alternating(paths, rounds, per_round)
                lean.close()
                client.close()
                # 8 callers at once on each path: queueing on two cores hits both alike.
                report["direct_predictor_8_callers"] = percentiles(concurrent(
                    lambda: (lambda: predictor.predict([dict(ROW)]), lambda: None),
                    8, per_client))
                report["keepalive_8_clients"] = percentiles(
                    http_load.closed_loop(server.port, path, body, 8, per_client))
                report["keepalive_8_clients_http_client"] = percentiles(
                    concurrent(lambda: keep_alive_client(server.port, path), 8, per_client))
                report["shared_model_calls"] = predictor.batcher.calls
                report["model"] = predictor.version.identifier
                report["signed"] = predictor.issuer.signing
            report["direct_predictor"] = percentiles(samples["direct"])
            report["keepalive_1_client"] = percentiles(samples["ledger"])
            report["keepalive_1_client_http_client"] = percentiles(samples["http_client"])
            report["keepalive_vs_direct_p50"] = round(median(r["ledger"] for r in ratios), 3)
            report["http_client_vs_direct_p50"] = round(
                median(r["http_client"] for r in ratios), 3)
            if starlette:
                report["starlette_uvicorn_1_client"] = percentiles(samples["starlette"])
                report["starlette_vs_direct_p50"] = round(
                    median(r["starlette"] for r in ratios), 3)
        finally:
            server.stop()
            if starlette:
                starlette[0].terminate()
                starlette[0].wait(30)
        readies = [(ready, ready_cpu)] + [_started_and_stopped(scratch, identifier, env)
                                          for _ in range(restarts)]
        report["ready_s"] = round(median(r[0] for r in readies), 2)
        report["ready_cpu_s"] = round(median(r[1] for r in readies), 2)
        report["ready_starts"] = len(readies)
        busy = [busy_port_seconds(scratch, identifier, env) for _ in range(3)]
        report["busy_port_s"] = round(median(b[0] for b in busy), 2)
        report["busy_port_cpu_s"] = round(median(b[1] for b in busy), 2)
        report["busy_port_named"] = all(b[2] for b in busy)
        drift = [drift_seconds(scratch, identifier, env) for _ in range(3)]
        report["drift_s"] = round(median(d[0] for d in drift), 2)
        report["drift_cpu_s"] = round(median(d[1] for d in drift), 2)
        report["drift_exit_codes"] = [d[2] for d in drift]  # 3: drift found (one row, repeated)
        report["drift_stderr_lines"] = len(drift[0][3].splitlines())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report["machine"] = machine(load_before)
    return report


def targets(report: dict) -> list[Target]:
    """Issue 17's serving targets. Wall-clock figures are judged; the CPU seconds beside them
    say how much of the wall was the process itself and how much other jobs on the machine."""
    one, eight = report["keepalive_1_client"], report["keepalive_8_clients"]
    direct_eight = report["direct_predictor_8_callers"]["p50_ms"]
    return [
        Target("keep-alive p50, 1 client", one["p50_ms"], 1.5, "ms"),
        Target("keep-alive p50 / direct Predictor p50, 1 client",
               report["keepalive_vs_direct_p50"], 2.0, "x"),
        Target("keep-alive p50, 8 clients", eight["p50_ms"], 1.5, "ms"),
        Target("keep-alive p50 / direct Predictor p50, 8 at once on each",
               round(eight["p50_ms"] / direct_eight, 3), 2.0, "x"),
        Target(f"ledger serve ready (CPU {report['ready_cpu_s']} s)", report["ready_s"], 4.0,
               "s"),
        Target(f"busy port: exit non-zero naming it (CPU {report['busy_port_cpu_s']} s)",
               report["busy_port_s"] if report["busy_port_named"] else None, 1.0, "s"),
        Target(f"ledger drift, whole process (CPU {report['drift_cpu_s']} s)",
               report["drift_s"], 8.0, "s"),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_home_options(parser)
    parser.add_argument("--rounds", type=int, default=20, help="alternating rounds")
    parser.add_argument("--per-round", type=int, default=100, help="calls per path per round")
    parser.add_argument("--per-client", type=int, default=250,
                        help="requests per client with 8 concurrent clients")
    parser.add_argument("--restarts", type=int, default=2,
                        help="further `ledger serve` starts timed (median of all is judged)")
    parser.add_argument("--compare-starlette", action="store_true",
                        help="also time the same Predictor behind Starlette on uvicorn")
    args = parser.parse_args(argv)
    home = existing_home(args.home)
    if home is None:
        return 2
    report = run(home, args.model, args.rounds, args.per_round, args.per_client,
                 args.compare_starlette, args.restarts)
    return finish(report, targets(report))


if __name__ == "__main__":
    sys.exit(main())
