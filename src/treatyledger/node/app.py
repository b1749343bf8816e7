"""The node's HTTP app: the log's read paths, submissions, the witness, and background sync.

Routes (docs/node.md gives every status code):

* ``GET /log/checkpoint``, ``GET /log/tile/<L>/<N>[.p/<W>]``,
  ``GET /log/tile/entries/<N>[.p/<W>]`` -- c2sp.org/tlog-tiles
* ``POST /api/v1/entries`` -- a signed note, ``text/plain``; JSON ``{"index", "leaf_hash"}``
* ``GET /api/v1/node`` -- who this node is
* ``POST /witness/add-checkpoint`` -- c2sp.org/tlog-witness
* ``GET /witness/evidence`` -- equivocation evidence held

:func:`create_app` builds the app around a :class:`~.node.Node` (made from the
config when none is given), so tests run it in-process or under uvicorn.
Errors become responses in one handler, through :func:`~.errors.http_status`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from treatyledger import __version__
from treatyledger.dashboard import DashboardConfig
from treatyledger.dashboard import router as dashboard_router
from treatyledger.errors import TreatyLedgerError
from treatyledger.log.tiles import MAX_ENTRY_SIZE
from treatyledger.node.errors import (
    TEXT_PLAIN,
    TLOG_SIZE,
    MalformedError,
    RefusalError,
    TooLargeError,
    UnsupportedMediaTypeError,
    WitnessRefusalError,
    http_status,
)
from treatyledger.node.node import Node, NodeConfig
from treatyledger.node.readpaths import Resource, read_checkpoint, read_entry_bundle, read_tile
from treatyledger.node.schemas import (
    ADD_CHECKPOINT_PATTERN,
    SIGNED_ENTRY_PATTERN,
    EvidenceBody,
    NodeInfoBody,
    ReceiptBody,
    error_responses,
    text_body,
)

__all__ = ["ENTRIES_PATH", "MAX_WITNESS_REQUEST", "FastPath", "create_app"]

MAX_WITNESS_REQUEST = 64 * 1024
"""The largest add-checkpoint body accepted (63 proof lines and a checkpoint with cosignatures)."""

log = logging.getLogger("treatyledger.node")

_ERROR_CODES = (
    (404, "not_found"),
    (405, "method_not_allowed"),
    (409, "conflict"),
    (422, "invalid_request"),
    (503, "unavailable"),
)


def _error_code(error: TreatyLedgerError, status: int) -> str:
    if isinstance(error, RefusalError):
        return error.code
    return dict(_ERROR_CODES).get(status, "bad_request" if status < 500 else "server_error")


def error_response(error: TreatyLedgerError) -> Response:
    """The response to a request that failed with ``error``: the one place errors become HTTP."""
    status = http_status(error)
    if isinstance(error, WitnessRefusalError):
        # The header is set as given: clients compare text/x.tlog.size exactly.
        return Response(
            error.body, status_code=status, headers={"Content-Type": error.content_type}
        )
    detail = error.diagnostics()
    return JSONResponse({"error": _error_code(error, status), "detail": detail}, status)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise MalformedError(f"Content-Length {declared[:20]!r} is not a number")
        if int(declared) > limit:
            raise TooLargeError(
                f"the body is {int(declared):,} bytes; at most {limit:,} are accepted"
            )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLargeError(f"the body is over {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_text_plain(request: Request) -> None:
    value = request.headers.get("content-type", "")
    media, _, params = value.partition(";")
    charset = params.strip().lower()
    if media.strip().lower() != "text/plain" or charset not in ("", "charset=utf-8"):
        raise UnsupportedMediaTypeError(
            f"the body must be a signed note as text/plain (UTF-8), not {value or 'untyped'}"
        )


def _file(resource: Resource, request: Request | None = None) -> Response:
    headers = {"Cache-Control": resource.cache_control}
    data = resource.data
    if request is not None and "gzip" in request.headers.get("accept-encoding", ""):
        data = gzip.compress(data, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
        headers["Vary"] = "Accept-Encoding"
    return Response(data, media_type=resource.content_type, headers=headers)


ENTRIES_PATH = "/api/v1/entries"


class FastPath:
    """Answers one route's requests ahead of routing: pure ASGI, the same handler.

    The route stays declared (and documented) like any other, and its
    handler is this one; the middleware only spares the node's busiest
    request (a submission) the router's matching and FastAPI's request
    handling, which together cost about as much CPU as the entry's own checks
    (bench/bench_node.py). Errors become responses through
    :func:`error_response`, as the app's handler makes them.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        method: str,
        path: str,
        handler: Callable[[Request], Awaitable[Response]],
    ) -> None:
        self.app = app
        self.method = method
        self.path = path
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the route's requests; pass every other one on."""
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != self.method:
            await self.app(scope, receive, send)
            return
        try:
            response = await self.handler(Request(scope, receive))
        except TreatyLedgerError as exc:
            response = error_response(exc)
        await response(scope, receive, send)


_TILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, cached for a year (immutable).",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    **error_responses(404),
}


async def _sync_loop(node: Node, interval: float) -> None:
    while True:
        try:
            await anyio.to_thread.run_sync(node.sync_round)
        except Exception:  # a failed round must not end the loop; the next one retries
            log.exception("sync round failed")
        await asyncio.sleep(interval)


def create_app(
    config: NodeConfig, *, node: Node | None = None, dashboard: DashboardConfig | None = None
) -> FastAPI:
    """The node's app. The node is opened now; closing it and sync run with the app's lifespan.

    The dashboard is served at ``/`` (``dashboard`` overrides its settings, which
    otherwise come from ``config``).
    """
    node = node or Node(config)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = None
        if config.sync_interval > 0:
            task = asyncio.create_task(_sync_loop(node, config.sync_interval))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            node.close()

    app = FastAPI(
        title="treatyledger node",
        version=__version__,
        description=(
            "A party's node: its transparency log as tlog-tiles, signed submissions, "
            "a tlog-witness for the other parties' logs, and the evidence it holds."
        ),
        lifespan=lifespan,
    )
    app.state.node = node

    @app.exception_handler(TreatyLedgerError)
    async def _refused(_: Request, exc: TreatyLedgerError) -> Response:
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        code = dict(_ERROR_CODES).get(exc.status_code, "bad_request")
        return JSONResponse(
            {"error": code, "detail": str(exc.detail)}, exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Response:
        return JSONResponse({"error": "invalid_request", "detail": str(exc.errors())}, 422)

    # Routes are matched in order: the busiest (submissions, then tiles) come first.
    async def submit(request: Request) -> Response:
        """Append a signed entry of this node's party, once it is durable; idempotent."""
        _check_text_plain(request)
        body = await _read_body(request, MAX_ENTRY_SIZE)
        # Checked and committed in batches by the node's sequencer thread (group commit).
        sequenced = await asyncio.wrap_future(node.accept(body))
        receipt = {"index": sequenced.index, "leaf_hash": sequenced.leaf_hash.hex()}
        return JSONResponse(receipt, status_code=201 if sequenced.created else 200)

    app.add_middleware(FastPath, method="POST", path=ENTRIES_PATH, handler=submit)
    app.router.add_api_route(
        ENTRIES_PATH,
        submit,
        methods=["POST"],
        tags=["api"],
        status_code=201,
        response_model=ReceiptBody,
        responses={
            200: {"model": ReceiptBody, "description": "The log already holds this note."},
            201: {"model": ReceiptBody, "description": "Appended and durable."},
            **error_responses(400, 403, 413, 415, 422, 503),
        },
        openapi_extra=text_body(
            "A ledger entry as a C2SP signed note by this node's log key.",
            max_length=MAX_ENTRY_SIZE,
            pattern=SIGNED_ENTRY_PATTERN,
        ),
    )

    @app.get(
        "/log/checkpoint",
        tags=["log"],
        response_class=Response,
        responses={
            200: {
                "description": "The latest checkpoint with every cosignature collected.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            **error_responses(404),
        },
    )
    def checkpoint() -> Response:
        """The log's latest signed checkpoint (c2sp.org/tlog-checkpoint), cached 2 seconds."""
        return _file(read_checkpoint(node.reader))

    @app.get(
        "/log/tile/entries/{index:path}",
        tags=["log"],
        response_class=Response,
        responses=_TILE_RESPONSES,
    )
    def entry_bundle(
        index: Annotated[str, PathParam(description="<N>[.p/<W>], e.g. x001/234 or 005.p/7")],
        request: Request,
    ) -> Response:
        """An entry bundle ``<N>[.p/<W>]`` of the integrated tree (c2sp.org/tlog-tiles)."""
        return _file(read_entry_bundle(node.reader, f"tile/entries/{index}"), request)

    @app.get(
        "/log/tile/{level}/{index:path}",
        tags=["log"],
        response_class=Response,
        responses=_TILE_RESPONSES,
    )
    def tile(
        level: Annotated[str, PathParam(description="The tile level, 0 to 63")],
        index: Annotated[str, PathParam(description="<N>[.p/<W>], e.g. x001/234 or 005.p/7")],
    ) -> Response:
        """A Merkle tree tile ``<L>/<N>[.p/<W>]`` of the integrated tree (c2sp.org/tlog-tiles)."""
        return _file(read_tile(node.reader, f"tile/{level}/{index}"))

    @app.get("/api/v1/node", tags=["api"], response_model=NodeInfoBody)
    def info() -> dict[str, Any]:
        """This node's party, log key, witness key and log size."""
        return node.info()

    @app.post(
        "/witness/add-checkpoint",
        tags=["witness"],
        response_class=Response,
        responses={
            200: {
                "description": "The witness's cosignature line(s).",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            **{
                status: {
                    "description": words,
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
                for status, words in (
                    (400, "MalformedError request, or old size beyond the checkpoint."),
                    (403, "No trusted signature, or the origin is refused for equivocating."),
                    (404, "Unknown origin."),
                    (413, "The body is too large."),
                    (422, "The consistency proof does not verify."),
                    (503, "The witness state kept changing; retry."),
                )
            },
            409: {
                "description": "Old size is not the size last cosigned (that size is the body).",
                "content": {TLOG_SIZE: {"schema": {"type": "string", "pattern": "^[0-9]+\\n$"}}},
            },
        },
        openapi_extra=text_body(
            "old <size>, proof lines, an empty line, a signed checkpoint (c2sp.org/tlog-witness).",
            max_length=MAX_WITNESS_REQUEST,
            pattern=ADD_CHECKPOINT_PATTERN,
        ),
    )
    async def add_checkpoint(request: Request) -> Response:
        """Cosign a registered party's checkpoint (c2sp.org/tlog-witness)."""
        try:
            body = await _read_body(request, MAX_WITNESS_REQUEST)
        except RefusalError as exc:
            raise WitnessRefusalError(exc.status, exc.detail) from exc
        line = await run_in_threadpool(node.witness.add_checkpoint, body)
        return Response(line, media_type=TEXT_PLAIN)

    @app.get("/witness/evidence", tags=["witness"], response_model=list[EvidenceBody])
    def evidence() -> list[dict[str, Any]]:
        """The equivocation evidence this node holds; each origin listed is refused for good."""
        return [e.to_json() for e in node.evidence()]

    pages = dashboard or DashboardConfig(reports_dir=config.reports_dir)
    app.include_router(dashboard_router(node, pages))
    return app
