"""``treaty exercise``: a whole treaty year between party nodes, with a red team, and a report."""

from treatyledger.exercise.run import Exercise, Planner, run_exercise
from treatyledger.exercise.scenarios import SCENARIOS, Misconduct, Scenario, scenario

__all__ = [
    "SCENARIOS",
    "Exercise",
    "Misconduct",
    "Planner",
    "Scenario",
    "run_exercise",
    "scenario",
]
