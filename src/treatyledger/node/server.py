"""Run a node under uvicorn: graceful shutdown on SIGINT/SIGTERM, every log line to stderr."""

from __future__ import annotations

import copy
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from treatyledger.node.app import create_app
from treatyledger.node.node import NodeConfig

__all__ = ["log_config", "serve"]

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
