"""What the dashboard tests share besides fixtures: the played run's name and the served dashboard.

(Imported by name, as ``nodeworld`` is for the node tests: a ``from conftest import``
would find whichever test folder's ``conftest`` pytest loaded first.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from treatyledger.node.node import Node

RUN = "late-notification-3"
"""The folder of the exercise run the dashboard is served from."""


@dataclass(frozen=True)
class Dashboard:
    """The served dashboard: its address and the exercise behind it."""

    url: str
    reports: Path
    report: dict[str, object]
    node: Node
