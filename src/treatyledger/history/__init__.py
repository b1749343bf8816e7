"""The documented record of a treaty replayed as the parties' logs (``treaty history``)."""

from treatyledger.history.replay import JUDGED_AT, REVIEW_FROM, History, replay_history

__all__ = ["JUDGED_AT", "REVIEW_FROM", "History", "replay_history"]
