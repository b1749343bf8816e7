"""The ``treaty`` command line; ``main`` is the console entry point."""

from treatyledger.cli.app import app, main

__all__ = ["app", "main"]
