"""Run a node under uvicorn: graceful shutdown on SIGINT/SIGTERM, every log line to stderr.

:class:`ThreadedServer` serves an app in a thread of this process instead, on
a free loopback port: the nodes of ``treaty exercise``, and the tests'.
"""

from __future__ import annotations

import copy
import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import LOGGING_CONFIG

from treatyledger.errors import StorageError
from treatyledger.node.app import create_app
from treatyledger.node.node import NodeConfig

__all__ = ["ThreadedServer", "log_config", "serve"]

GRACEFUL_SECONDS = 10
"""How long a shutdown waits for requests in flight before closing connections."""


def log_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's logging set-up with access lines and the node's own lines on stderr too."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    config["loggers"]["treatyledger"] = {
        "handlers": ["default"],
        "level": level,
        "propagate": False,
    }
    return config


def serve(config: NodeConfig, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the node until SIGINT or SIGTERM; requests in flight are finished first."""
    app = create_app(config)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=log_config(),
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
            server_header=False,
        )
    )
    server.run()


class ThreadedServer:
    """An ASGI app under uvicorn on a free loopback port, in a thread of this process.

    Started when made (the app's lifespan included); ``url`` is where it
    listens. Raises :class:`~treatyledger.errors.StorageError` when it does
    not start within ``start_timeout`` seconds. No access lines.
    """

    def __init__(self, app: ASGIApp, *, start_timeout: float = 20.0) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, log_config=None, lifespan="on", access_log=False)
        )
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + start_timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                self.stop()
                raise StorageError(f"the server at {self.url} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving (the app's lifespan ends) and close the socket."""
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.socket.close()
