"""The party node: the log's read paths, signed submissions, a witness, peer sync.

:class:`~.node.Node` holds one party's log, witness key, party registry and
mirrors over one database; :func:`~.app.create_app` serves it over HTTP
(FastAPI) and :func:`~.server.serve` runs that under uvicorn. The routes,
status codes and the witness's state machine are documented in
``docs/node.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from treatyledger.node.evidence import Evidence, verify_evidence
from treatyledger.node.parties import Party, PartyRegistry

if TYPE_CHECKING:
    from treatyledger.node.app import create_app
    from treatyledger.node.node import Node, NodeConfig
    from treatyledger.node.server import serve

__all__ = [
    "Evidence",
    "Node",
    "NodeConfig",
    "Party",
    "PartyRegistry",
    "create_app",
    "serve",
    "verify_evidence",
]


def __getattr__(name: str) -> object:
    # The HTTP stack (httpx, FastAPI, uvicorn) loads only when asked for, so the
    # command line starts fast.
    if name in ("Node", "NodeConfig"):
        from treatyledger.node import node  # noqa: PLC0415

        return getattr(node, name)
    if name == "create_app":
        from treatyledger.node.app import create_app  # noqa: PLC0415

        return create_app
    if name == "serve":
        from treatyledger.node.server import serve  # noqa: PLC0415

        return serve
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
