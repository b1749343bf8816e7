"""Benchmark of the party node: concurrent signed submissions, and tile reads beside static files.

Run:

    python bench/bench_node.py [--quick] [--no-postgres]

Loopback only, bounded in count and in time. A real node (``treaty serve``:
uvicorn on a free loopback port, in its own process) on a fresh SQLite
database in a temporary folder, and on a throw-away PostgreSQL cluster when
``initdb`` is found, takes distinct, pre-signed ledger entries from N
concurrent keep-alive connections of a raw asyncio client (so that the client
costs little beside the server it shares the machine with). Every entry is
checked as the node checks any (signature, envelope, treaty), and each 201 is
an entry that is durable (committed with an fsync) and integrated (a new
signed checkpoint covers it). The run checks that every answer is a 201 and
that the indexes are distinct and gap-free.

Then the same tile files are read from the node and from a bare Starlette
``StaticFiles`` app (under the same uvicorn, in its own process) serving a
``treaty log export`` of the same log, in alternating rounds, and the rates
are compared.

Targets (issue 7): at least 1,000 durable submissions per second with
signature checks; tile reads at least half the bare static rate.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import glob
import importlib.util
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from treatyledger.cli.serve import default_check_workers
from treatyledger.ledger import Entry, sign_entry
from treatyledger.log.note import Signer
from treatyledger.logs import read_key_file
from treatyledger.node import Node, NodeConfig

ORIGIN = "bench.example/us/log"
HOST = "127.0.0.1"
SUBMIT_TARGET = 1_000.0
TILE_RATIO_TARGET = 0.5
LEVELS = (8, 32)
"""The numbers of concurrent clients (keep-alive connections) submissions are sent from."""
TREATY_CLI = "import sys; from treatyledger.cli import main; sys.argv[0] = 'treaty'; main()"


# -- processes -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _treaty(*args: str, cwd: Path) -> None:
    """Run a ``treaty`` command to completion."""
    subprocess.run(
        [sys.executable, "-c", TREATY_CLI, *args],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
    )


@dataclass(frozen=True)
class Server:
    """A server process of this run: where it listens, and its process id."""

    url: str
    pid: int

    def cpu_seconds(self) -> float | None:
        """The CPU time the process and its children (check workers) have used, user +
        system, where /proc tells it."""
        try:
            total = _cpu_ticks(self.pid)
            for children in Path(f"/proc/{self.pid}/task").glob("*/children"):
                total += sum(_cpu_ticks(int(child)) for child in children.read_text().split())
        except (OSError, ValueError):
            return None
        return total / os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@contextlib.contextmanager
def _server(args: Sequence[str], *, port: int, ready: str, cwd: Path) -> Iterator[Server]:
    """A server process listening on ``port``, stopped (SIGTERM, then SIGKILL) at the end."""
    log_path = cwd / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, cwd=cwd, stdout=log, stderr=log)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {log_path.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + ready, timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.1)
        yield Server(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _node(db_url: str, folder: Path, workers: int) -> contextlib.AbstractContextManager[Server]:
    port = _free_port()
    args = [sys.executable, "-c", TREATY_CLI, "serve", "--party", "US", "--db", db_url]
    args += ["--port", str(port), "--sync-interval", "0", "--check-workers", str(workers)]
    return _server(args, port=port, ready="/api/v1/node", cwd=folder)


def _static(directory: Path, folder: Path) -> contextlib.AbstractContextManager[Server]:
    port = _free_port()
    args = [sys.executable, __file__, "--serve-static", str(directory), "--port", str(port)]
    return _server(args, port=port, ready="/log/checkpoint", cwd=folder)


def serve_static(directory: Path, port: int) -> None:
    """The peer: the exported files under ``/log/`` by a bare ``StaticFiles`` app.

    The same uvicorn set-up as ``treaty serve`` (HTTP parser, event loop,
    access lines on standard error), so that only the app differs.
    """
    import uvicorn  # noqa: PLC0415
    from starlette.applications import Starlette  # noqa: PLC0415
    from starlette.routing import Mount  # noqa: PLC0415
    from starlette.staticfiles import StaticFiles  # noqa: PLC0415

    from treatyledger.node.server import log_config  # noqa: PLC0415

    app = Starlette(routes=[Mount("/log", app=StaticFiles(directory=directory))])
    uvicorn.run(app, host=HOST, port=port, log_config=log_config(), server_header=False)


def _initdb() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]) if candidates else None


@contextlib.contextmanager
def _postgres(initdb: Path) -> Iterator[str]:
    """A throw-away PostgreSQL cluster on a unix socket (as tests/pgcluster.py starts one)."""
    root = Path(tempfile.mkdtemp(prefix="tlbench-pg-", dir="/tmp"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    bin_dir, data = initdb.parent, root / "data"

    def run(*command: str) -> None:
        subprocess.run(
            [*prefix, *command],
            cwd=root,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    try:
        run(str(initdb), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"listen_addresses = ''\nunix_socket_directories = '{root}'\nport = 5432\n")
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "start")
        try:
            yield f"postgresql:///postgres?host={root}&port=5432&user=postgres"
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


# -- the client ------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """What one load run saw: wall time, each request's latency, status and body.

    ``server_cpu`` is the CPU time the server process used meanwhile (None
    where /proc does not tell it).
    """

    elapsed: float
    latencies: list[float]
    statuses: list[int]
    bodies: list[bytes]
    server_cpu: float | None

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def cpu_per_request(self) -> str:
        """The server's CPU time per request, as text (its capacity on one free core)."""
        if self.server_cpu is None:
            return "server CPU not measured"
        per = self.server_cpu / len(self.latencies)
        return f"node CPU {per * 1e6:,.0f} us/request (server and check workers)"


def _post(path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode("ascii")


def _parse_head(head: bytes) -> tuple[int, int]:
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return status, int(value)
    raise RuntimeError(f"a response without Content-Length: {head!r}")


_Seen = tuple[float, list[float], list[int], list[bytes]]


async def _load(port: int, requests: Sequence[bytes], concurrency: int) -> _Seen:
    """Send ``requests`` over ``concurrency`` keep-alive connections, each waiting its answer."""
    count = len(requests)
    latencies, statuses, bodies = [0.0] * count, [0] * count, [b""] * count
    work = iter(range(count))  # shared by the connections: each takes the next request
    connections = [await asyncio.open_connection(HOST, port) for _ in range(concurrency)]

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        clock = time.perf_counter
        for n in work:
            start = clock()
            writer.write(requests[n])
            status, length = _parse_head(await reader.readuntil(b"\r\n\r\n"))
            bodies[n] = await reader.readexactly(length)
            latencies[n], statuses[n] = clock() - start, status

    start = time.perf_counter()
    await asyncio.gather(*(run(reader, writer) for reader, writer in connections))
    elapsed = time.perf_counter() - start
    for _, writer in connections:
        writer.close()
    return elapsed, latencies, statuses, bodies


def load(server: Server, requests: Sequence[bytes], concurrency: int, timeout: float) -> Load:
    """Send ``requests`` to ``server`` from ``concurrency`` clients; give up after ``timeout`` s.

    The client runs on uvloop when it is installed, so that it takes as little
    of the machine (which it shares with the server) as it can.
    """
    port = int(server.url.rsplit(":", 1)[1])
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        before = server.cpu_seconds()
        elapsed, latencies, statuses, bodies = runner.run(
            asyncio.wait_for(_load(port, requests, concurrency), timeout)
        )
        after = server.cpu_seconds()
    used = None if before is None or after is None else after - before
    return Load(elapsed, latencies, statuses, bodies, used)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        return None
    return uvloop.new_event_loop


# -- submissions -----------------------------------------------------------------------


def _notes(signer: Signer, start: int, count: int) -> list[bytes]:
    """Distinct valid new_item entries of the US, signed with the log's key."""
    when = dt.datetime(2020, 10, 2, 9, 0, tzinfo=dt.UTC)
    return [
        sign_entry(
            Entry(
                type="new_item",
                treaty="new-start",
                sender="US",
                time=when,
                payload={
                    "uid": f"US-MM3-{n:07d}",
                    "kind": "icbm",
                    "type": "minuteman_iii",
                    "status": "non_deployed",
                    "facility": "vandenberg",
                    "occurred_at": "2020-09-29T15:00:00Z",
                },
            ),
            signer,
        )
        for n in range(start, start + count)
    ]


def _check_acknowledged(result: Load, first: int) -> None:
    """Every answer a 201, with the indexes ``first``, ``first + 1``, ... in some order."""
    bad = Counter(s for s in result.statuses if s != 201)
    if bad:
        sample = next(b for b, s in zip(result.bodies, result.statuses, strict=True) if s != 201)
        raise RuntimeError(f"refused submissions {dict(bad)}: {sample[:300]!r}")
    indexes = sorted(json.loads(body)["index"] for body in result.bodies)
    if indexes != list(range(first, first + len(indexes))):
        raise RuntimeError("the acknowledged indexes are not distinct and gap-free")


def _size(server: Server) -> int:
    return int(httpx.get(f"{server.url}/api/v1/node", timeout=10).json()["size"])


def bench_submissions(
    server: Server, signer: Signer, levels: Sequence[int], count: int, warm: int
) -> list[tuple[int, Load]]:
    """Durable submissions at each concurrency level: ``count`` entries after ``warm`` ones.

    Each level sends new entries, so every answer must be a 201 with the next
    indexes; then a few are sent again, and must be answered 200 and append nothing.
    """
    size = _size(server)
    warm_up = [_post("/api/v1/entries", note) for note in _notes(signer, size, warm)]
    _check_acknowledged(load(server, warm_up, max(levels), timeout=300), size)
    size += warm
    results = []
    for level in levels:
        requests = [_post("/api/v1/entries", note) for note in _notes(signer, size, count)]
        result = load(server, requests, level, timeout=600)
        _check_acknowledged(result, size)
        size += count
        results.append((level, result))
    again = load(server, warm_up[:200], 8, timeout=60)
    if set(again.statuses) != {200} or _size(server) != size:
        raise RuntimeError("a resubmission was not answered 200, or it appended")
    return results


def report_submissions(store: str, results: Sequence[tuple[int, Load]], count: int) -> None:
    for level, result in results:
        met = "met" if result.rate >= SUBMIT_TARGET else "NOT met"
        print(
            f"submissions ({store}), {count:,} signed entries, {level} concurrent clients: "
            f"{result.rate:,.0f}/s durable, p50 {result.percentile(0.5) * 1000:.1f} ms, "
            f"p99 {result.percentile(0.99) * 1000:.1f} ms "
            f"(target >= {SUBMIT_TARGET:,.0f}/s: {met}); {result.cpu_per_request()}",
            flush=True,
        )


# -- tile reads ------------------------------------------------------------------------


def _tile_paths(directory: Path) -> tuple[list[str], list[str]]:
    """The exported hash tiles and entry bundles, as URL paths under ``/log/``."""
    tiles: list[str] = []
    bundles: list[str] = []
    for path in sorted(directory.glob("tile/**/*")):
        if path.is_file():
            name = "/log/" + path.relative_to(directory).as_posix()
            (bundles if "/entries/" in name else tiles).append(name)
    return tiles, bundles


def bench_reads(
    node: Server, static: Server, paths: Sequence[str], count: int, rounds: int
) -> tuple[float, float]:
    """Reads per second of the same files from the node and the static app: best of ``rounds``.

    The two alternate, so that a noisy neighbour on the machine penalises neither.
    Every answer must be a 200 with the exported file's bytes.
    """
    requests = [_get(paths[n % len(paths)]) for n in range(count)]
    best = {node.url: 0.0, static.url: 0.0}
    for _ in range(rounds):
        bodies = []
        for server in (node, static):
            result = load(server, requests, 8, timeout=300)
            if set(result.statuses) != {200}:
                raise RuntimeError(f"{server.url}: statuses {Counter(result.statuses)}")
            best[server.url] = max(best[server.url], result.rate)
            bodies.append(result.bodies)
        if bodies[0] != bodies[1]:
            raise RuntimeError("the node and the static files answered different bytes")
    return best[node.url], best[static.url]


def report_reads(what: str, ours: float, theirs: float, files: int, count: int) -> None:
    ratio = ours / theirs
    met = "met" if ratio >= TILE_RATIO_TARGET else "NOT met"
    print(
        f"{what} reads ({files} files, {count:,} requests, 8 clients): node {ours:,.0f}/s, "
        f"bare StaticFiles {theirs:,.0f}/s -> ratio {ratio:.2f} "
        f"(target >= {TILE_RATIO_TARGET}: {met})",
        flush=True,
    )


# -- the runs --------------------------------------------------------------------------


def bench_in_process(
    db_url: str, signer: Signer, count: int, concurrency: int, workers: int
) -> None:
    """The node without HTTP: ``count`` new entries through ``Node.accept``, ``concurrency``
    at a time, in this process; the same checks and group commit as over HTTP."""
    node = Node(NodeConfig(party="US", db_url=db_url, sync_interval=0, check_workers=workers))
    me = Server(url="", pid=os.getpid())
    try:
        first = node.reader.tree_size()
        warm, *notes = _notes(signer, first, count + 1)
        node.submit(warm)  # the workers are up

        async def run() -> None:
            work = iter(notes)

            async def client() -> None:
                for note in work:
                    if not (await asyncio.wrap_future(node.accept(note))).created:
                        raise RuntimeError("a new entry was not appended")

            await asyncio.gather(*(client() for _ in range(concurrency)))

        cpu, start = me.cpu_seconds(), time.perf_counter()
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(asyncio.wait_for(run(), 600))
        elapsed, after = time.perf_counter() - start, me.cpu_seconds()
        if node.reader.tree_size() != first + 1 + count:
            raise RuntimeError("the in-process entries were not all integrated")
    finally:
        node.close()
    cpu_text = (
        "CPU not measured"
        if cpu is None or after is None
        else f"CPU {(after - cpu) / count * 1e6:,.0f} us/entry"
    )
    where = f"in {workers} worker processes" if workers else "in the committer thread"
    print(
        f"  the same, in process (no HTTP), {count:,} entries, {concurrency} at a time: "
        f"{count / elapsed:,.0f}/s; {cpu_text} "
        f"(checks {where}, and group commit)",
        flush=True,
    )


def run_store(store: str, db_url: str, folder: Path, args: argparse.Namespace) -> None:
    """Everything measured on one store: submissions (over HTTP, then in process),
    then (SQLite) tile reads."""
    key = folder / "us.key"
    _treaty("log", "init", "--origin", ORIGIN, "--key", str(key), "--db", db_url, cwd=folder)
    signer = read_key_file(key)
    count, warm = (500, 200) if args.quick else (6_000, 500)
    with _node(db_url, folder, args.check_workers) as node:
        results = bench_submissions(node, signer, LEVELS, count, warm)
        report_submissions(store, results, count)
    bench_in_process(db_url, signer, count, max(LEVELS), args.check_workers)
    if store != "SQLite":
        return
    with _node(db_url, folder, args.check_workers) as node:
        export = folder / "export"
        _treaty("log", "export", str(export), "--db", db_url, cwd=folder)
        tiles, bundles = _tile_paths(export)
        reads, rounds = (1_000, 1) if args.quick else (5_000, 3)
        with _static(export, folder) as static:
            for what, paths in (("tile", tiles), ("entry bundle", bundles)):
                ours, theirs = bench_reads(node, static, paths, reads, rounds)
                report_reads(what, ours, theirs, len(paths), reads)


def _versions() -> str:
    import uvicorn  # noqa: PLC0415

    extras = [name for name in ("httptools", "uvloop") if importlib.util.find_spec(name)]
    return (
        f"python {sys.version.split()[0]}, uvicorn {uvicorn.__version__} with "
        f"{' and '.join(extras) or 'h11 and asyncio'}, {os.cpu_count()} cpus"
    )


def _load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, for a smoke run")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--check-workers",
        type=int,
        default=default_check_workers(),
        help="the node's check worker processes (default: treaty serve's, %(default)s here)",
    )
    parser.add_argument("--serve-static", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_static is not None:
        serve_static(args.serve_static, args.port)
        return 0
    print(
        f"{_versions()}; client and server share the machine; {_load_average()}; "
        f"node with {args.check_workers} check worker processes",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="tlbench-") as tmp:
        folder = Path(tmp) / "sqlite"
        folder.mkdir()
        run_store("SQLite", f"sqlite:///{folder / 'us.db'}", folder, args)
        initdb = None if args.no_postgres else _initdb()
        if initdb is None:
            print("PostgreSQL: skipped (no initdb, or --no-postgres)")
        else:
            folder = Path(tmp) / "postgres"
            folder.mkdir()
            with _postgres(initdb) as url:
                run_store("PostgreSQL", url, folder, args)
    print(f"done; {_load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
