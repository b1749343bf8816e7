"""One real node per party on loopback: the exercise's transport over HTTP.

Each party gets its own database (a SQLite file in the run's folder, or a
PostgreSQL database of its own next to the one ``--db`` names), its log
created there as ``treaty log init`` does, and a node (:mod:`treatyledger.node`)
served by uvicorn on a free loopback port in a thread of this process. The
nodes are registered with one another (log key, address, witness key), so
each witnesses and mirrors the others. Entries go in through
``POST /api/v1/entries`` of the sender's node; before an entry that refers
to another party's entry not yet in the sender's node's verified mirror, the
node mirrors that party first (the node checks references against its
mirrors). A witnessing round is every node's sync round.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from treatyledger.compliance.reading import WITNESS_EVIDENCE
from treatyledger.declarations import record_treaty
from treatyledger.errors import InputError, StorageError
from treatyledger.exercise.year import SimClock
from treatyledger.ledger import Ref
from treatyledger.log.export import export_files
from treatyledger.log.note import Signer
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.logs import create_log
from treatyledger.node.app import create_app
from treatyledger.node.node import Node, NodeConfig
from treatyledger.node.parties import Party
from treatyledger.node.server import ThreadedServer
from treatyledger.storage import MemoryStore, open_store
from treatyledger.storage.url import redact_url

__all__ = ["NodeCluster", "party_databases"]


def party_databases(db: str | None, folder: Path, parties: list[str]) -> dict[str, str]:
    """A fresh database URL per party: SQLite files in ``folder``, or PostgreSQL databases.

    For PostgreSQL the databases are named after the one in ``db`` with the
    party appended (``exercise`` → ``exercise_us``) and created; an existing
    one is refused (an exercise never writes into a database it did not make).
    """
    if db is None:
        folder.mkdir(parents=True, exist_ok=True)
        urls = {p: f"sqlite:///{(folder / f'{p.lower()}.sqlite').resolve()}" for p in parties}
        taken = [u for u in urls.values() if Path(u.removeprefix("sqlite:///")).exists()]
        if taken:
            raise InputError(f"{taken[0]} exists already; give the exercise a fresh --out folder")
        return urls
    scheme = db.partition(":")[0].lower()
    if scheme not in ("postgresql", "postgres"):
        raise InputError(
            f"--db {redact_url(db)!r}: the exercise takes a PostgreSQL URL (without --db it "
            "uses SQLite files in the output folder)"
        )
    import psycopg  # noqa: PLC0415 - only when PostgreSQL is asked for
    from psycopg.conninfo import conninfo_to_dict, make_conninfo  # noqa: PLC0415

    info = conninfo_to_dict(db)
    base = str(info.get("dbname") or "treatyledger")
    urls = {}
    try:
        with psycopg.connect(db, autocommit=True) as connection:
            for party in parties:
                name = f"{base}_{party.lower()}"
                exists = connection.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
                ).fetchone()
                if exists:
                    raise InputError(
                        f"the database {name!r} exists already; the exercise makes its own "
                        "(drop it, or name another database in --db)"
                    )
                connection.execute(f'CREATE DATABASE "{name}"')
                urls[party] = make_conninfo(db, dbname=name)
    except psycopg.Error as exc:
        raise StorageError(f"cannot create the exercise databases: {exc}") from exc
    return {p: _as_url(u) for p, u in urls.items()}


def _as_url(conninfo: str) -> str:
    """A libpq key/value conninfo as a postgresql:// URL the store accepts."""
    from urllib.parse import quote  # noqa: PLC0415

    from psycopg.conninfo import conninfo_to_dict  # noqa: PLC0415

    info = conninfo_to_dict(conninfo)
    user = quote(str(info.pop("user", "")), safe="")
    password = info.pop("password", None)
    host = str(info.pop("host", "") or "")
    port = info.pop("port", None)
    dbname = quote(str(info.pop("dbname", "")), safe="")
    auth = f"{user}:{quote(str(password), safe='')}@" if password else (f"{user}@" if user else "")
    netloc = f"{auth}{host if '/' not in host else ''}" + (f":{port}" if port else "")
    query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in sorted(info.items()))
    if "/" in host:  # a Unix socket folder goes in the query
        query = "&".join(filter(None, [f"host={quote(host, safe='')}", query]))
    return f"postgresql://{netloc}/{dbname}" + (f"?{query}" if query else "")


class NodeCluster:
    """Every party's node, started, registered with one another, and reachable over HTTP."""

    def __init__(
        self,
        signers: Mapping[str, Signer],
        clock: SimClock,
        *,
        treaty: str,
        databases: Mapping[str, str],
        keys: Path,
    ) -> None:
        self.signers = dict(signers)
        self._party_of = {signer.name: party for party, signer in signers.items()}
        self.nodes: dict[str, Node] = {}
        self.servers: dict[str, ThreadedServer] = {}
        self.http = httpx.Client(timeout=30.0)
        keys.mkdir(parents=True, exist_ok=True)
        try:
            for party, signer in signers.items():
                key_path = keys / f"{party.lower()}.key"
                with open_store(databases[party]) as store:
                    create_log(store, origin=signer.name, key_path=key_path, signer=signer)
                    record_treaty(store, treaty)
                config = NodeConfig(
                    party=party,
                    db_url=databases[party],
                    sync_interval=0,
                    clock=clock,
                    witness_key_path=keys / f"{party.lower()}-witness.key",
                    http=self.http,
                )
                node = Node(config)
                self.nodes[party] = node
                self.servers[party] = ThreadedServer(create_app(config, node=node))
            for party, node in self.nodes.items():
                for other, peer in self.nodes.items():
                    if other != party:
                        node.registry.add(
                            Party(
                                name=other,
                                vkey=peer.log.verifier.vkey(),
                                url=self.servers[other].url,
                                witness_vkey=peer.identity.witness_vkey,
                            )
                        )
        except BaseException:
            self.close()
            raise

    def append(self, party: str, note: bytes, *, cites: Sequence[Ref] = ()) -> Ref:
        """Submit ``note`` to the party's node, once its mirrors hold every entry it cites."""
        node = self.nodes[party]
        for ref in cites:
            other = self._party_of.get(ref.origin)
            if other is None or other == party:
                continue
            if node.mirror_store(other).tree_size() <= ref.index:
                node.mirror_party(other)
        response = self.http.post(
            f"{self.servers[party].url}/api/v1/entries",
            content=note,
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        if response.status_code not in (200, 201):
            raise StorageError(
                f"the {party} node refused an entry ({response.status_code}): {response.text}"
            )
        receipt = response.json()
        return Ref(
            origin=self.signers[party].name,
            index=int(receipt["index"]),
            leaf_hash=bytes.fromhex(receipt["leaf_hash"]),
        )

    def checkpoint(self, party: str) -> bytes:
        """The party's latest checkpoint, as its node serves it."""
        response = self.http.get(f"{self.servers[party].url}/log/checkpoint")
        response.raise_for_status()
        return response.content

    def witness_round(self) -> None:
        """Every node pushes its checkpoint to the others' witnesses and mirrors them."""
        for node in self.nodes.values():
            node.sync_round()

    def equivocate(self, party: str) -> None:
        """Sign a rewritten history of the party's log and show it to every other witness.

        The party's node first pushes its real checkpoint, so each witness holds
        the real tree of that size; the rewrite has the same size with its last
        entry replaced (a different root), signed with the same log key, and is
        sent as a tlog-witness ``add-checkpoint`` request. A witness answers with
        a refusal and keeps both signed checkpoints as evidence.
        """
        node = self.nodes[party]
        node.sync_round()
        signer = self.signers[party]
        size = node.log.size()
        entries = node.log.entries(0, size)
        fork = TransparencyLog(
            store=MemoryStore(), origin=signer.name, verifier=signer.verifier(), signer=signer
        )
        fork.integrate()
        fork.append([*entries[:-1], b"a history rewritten by its own log key\n"])
        fork.integrate()
        body = f"old {size}\n\n".encode("ascii") + fork.checkpoint()
        for other, server in self.servers.items():
            if other == party:
                continue
            response = self.http.post(
                f"{server.url}/witness/add-checkpoint",
                content=body,
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
            if response.status_code == 200:
                raise StorageError(f"the {other} witness cosigned a rewritten history")

    def export(self, party: str) -> dict[str, bytes]:
        """The party's log from its own store, with its vkey and its witness key."""
        node = self.nodes[party]
        files = dict(export_files(node.log))
        files["vkey"] = (node.log.verifier.vkey() + "\n").encode("ascii")
        files["witness-vkey"] = (node.identity.witness_vkey + "\n").encode("ascii")
        held = node.evidence()
        if held:
            files[WITNESS_EVIDENCE] = (
                json.dumps([e.to_json() for e in held], indent=1) + "\n"
            ).encode("utf-8")
        return files

    def close(self) -> None:
        """Stop every server (gracefully) and close the nodes and the client."""
        for server in self.servers.values():
            server.stop()
        self.servers.clear()
        self.nodes.clear()
        self.http.close()
