"""Nodes for the tests: a party's database with its log, nodes in-process and under uvicorn."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from treatyledger.ledger import Entry, sign_entry
from treatyledger.log.export import export_files
from treatyledger.log.note import Signer, encode_base64
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.logs import create_log, read_key_file
from treatyledger.node.node import Node, NodeConfig
from treatyledger.node.server import ThreadedServer
from treatyledger.storage import MemoryStore, open_store

ORIGINS = {"US": "example.org/us/log", "RU": "example.org/ru/log"}
CHECK_WORKERS = [0]
"""The check worker processes of the nodes tests make (a test module may set it for its tests)."""
NOW = dt.datetime(2021, 1, 4, 12, 0, tzinfo=dt.UTC)


def fixed_clock() -> dt.datetime:
    return NOW


@dataclass
class PartyDb:
    """One party's database with its log (created as `treaty log init` does) and key files."""

    party: str
    url: str
    folder: Path
    signer: Signer
    nodes: list[Node] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return self.signer.name

    def config(self, **changes: Any) -> NodeConfig:
        options: dict[str, Any] = {
            "party": self.party,
            "db_url": self.url,
            "sync_interval": 0,
            "clock": fixed_clock,
            "witness_key_path": self.folder / f"{self.party}-witness.key",
            "check_workers": CHECK_WORKERS[0],
        }
        options.update(changes)
        return NodeConfig(**options)

    def node(self, **changes: Any) -> Node:
        node = Node(self.config(**changes))
        self.nodes.append(node)
        return node


def make_party_db(url: str, folder: Path, party: str) -> PartyDb:
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / f"{party}.key"
    with open_store(url) as store:
        create_log(store, origin=ORIGINS[party], key_path=key)
    return PartyDb(party=party, url=url, folder=folder, signer=read_key_file(key))


LiveServer = ThreadedServer
"""An ASGI app under uvicorn on a free loopback port, in a thread of this process."""


def child_processes(pid: int) -> list[int]:
    """The processes ``pid`` started (a node's check workers), from /proc."""
    found: list[int] = []
    for listing in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in listing.read_text().split()]
    return found


def process_ended(pid: int | None, timeout: float = 30) -> bool:
    """Whether process ``pid`` ends (or is left a zombie) within ``timeout`` seconds."""
    assert pid is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except FileNotFoundError:
            return True
        time.sleep(0.02)
    return False


def new_item(uid: str, *, sender: str = "US", time: str = "2020-10-02T09:00:00Z") -> Entry:
    """A valid new_item notification of the US."""
    return Entry(
        type="new_item",
        treaty="new-start",
        sender=sender,
        time=dt.datetime.strptime(time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC),
        payload={
            "uid": uid,
            "kind": "icbm",
            "type": "minuteman_iii" if sender == "US" else "yars",
            "status": "non_deployed",
            "facility": "vandenberg",
            "occurred_at": "2020-09-29T15:00:00Z",
        },
    )


def signed_item(db: PartyDb, number: int) -> bytes:
    """The signed note of a distinct valid entry of ``db``'s party."""
    return sign_entry(new_item(f"{db.party}-MM3-{number:04d}", sender=db.party), db.signer)


class MemoryLog:
    """A party's log held in memory, signed with its key: what a witness is shown."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer
        self.store = MemoryStore()
        self.log = TransparencyLog(
            store=self.store, origin=signer.name, verifier=signer.verifier(), signer=signer
        )
        self.log.integrate()

    def grow(self, count: int, tag: str = "entry") -> bytes:
        start = self.log.size()
        self.log.append_and_integrate([f"{tag} {n}".encode() for n in range(start, start + count)])
        return self.log.checkpoint()

    def request(self, old: int, *, proof: list[bytes] | None = None) -> bytes:
        """An add-checkpoint body for the latest checkpoint, with the proof from ``old``."""
        hashes = self.log.consistency_proof(old) if proof is None else proof
        lines = "".join(f"{encode_base64(h)}\n" for h in hashes)
        return f"old {old}\n{lines}\n".encode() + self.log.checkpoint()

    def files(self) -> dict[str, bytes]:
        """The log as a static tlog-tiles tree."""
        return dict(export_files(self.log))

    def checkpoint_at(self, size: int) -> bytes:
        """The checkpoint the log signed at ``size`` (it must have signed one)."""
        return dict(self.store.checkpoint_history())[size]


class StaticLogHost:
    """Any web server holding a party's exported tiles: what a mirror may be served."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

        async def serve(request: Request) -> Response:
            data = self.files.get(request.path_params["path"])
            if data is None:
                return Response(b"not found", status_code=404)
            return Response(data, media_type="application/octet-stream")

        self.app = Starlette(routes=[Route("/log/{path:path}", serve)])
