"""The web dashboard the node serves at ``/``: server-rendered pages over its logs.

The public record, compliance, the log explorer (each entry verifiable in
the reader's browser with WebCrypto), the inspection calendar and exercise
reports. :func:`router` gives the pages as a FastAPI router for the node's
app (docs/dashboard.md).
"""

from treatyledger.dashboard.routes import PAGE_SIZE, DashboardConfig, router

__all__ = ["PAGE_SIZE", "DashboardConfig", "router"]
