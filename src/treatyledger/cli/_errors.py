"""The one place where errors become messages and exit codes."""

from __future__ import annotations

from treatyledger.errors import InputError, NotFoundError, TreatyLedgerError

__all__ = ["EXIT_FAILURE", "EXIT_USAGE", "exit_code_for"]

EXIT_FAILURE = 1
"""Something was checked and did not hold, or an operation failed."""
EXIT_USAGE = 2
"""The input was wrong: a malformed file, an unknown name, an invalid argument."""


def exit_code_for(error: TreatyLedgerError) -> int:
    """The process exit code for ``error``."""
    if isinstance(error, InputError | NotFoundError):
        return EXIT_USAGE
    return EXIT_FAILURE
