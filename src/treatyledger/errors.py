"""The one exception hierarchy of treatyledger.

Every error the library raises on purpose derives from :class:`TreatyLedgerError`
and carries the data a user needs to act on it. The command line catches the
root in exactly one place and maps each category to an exit code; the HTTP
layer will map the same categories to status codes in one place too.

::

    TreatyLedgerError                 root; .diagnostics() gives the text to show
    ├── InputError                    the user's input is wrong (exit code 2)
    │   ├── SpecError                 a treaty specification is malformed (file, field, problem)
    │   ├── InventoryError            an itemised inventory is malformed (item, field, problem)
    │   ├── PayloadError              a notification payload does not fit its type
    │   ├── RecordError               the public record data is malformed (file, row, problem)
    │   └── FormatError               an encoded object (note, key, checkpoint, tile, proof)
    │                                 does not follow its specification (what, problem)
    ├── NotFoundError                 a named thing does not exist (exit code 2)
    ├── VerificationError             a signature, proof or check does not hold (exit code 1)
    │   └── InconsistencyError        two signed checkpoints of one log disagree (holds both)
    └── StorageError                  the store failed or refused an operation (exit code 1)
        └── ConflictError             another writer changed the store first; retry
"""

from __future__ import annotations

__all__ = [
    "ConflictError",
    "FormatError",
    "InconsistencyError",
    "InputError",
    "InventoryError",
    "NotFoundError",
    "PayloadError",
    "RecordError",
    "SpecError",
    "StorageError",
    "TreatyLedgerError",
    "VerificationError",
]


class TreatyLedgerError(Exception):
    """Root of every error treatyledger raises deliberately."""

    def diagnostics(self) -> str:
        """A complete, human-readable explanation of what went wrong."""
        return str(self)


class InputError(TreatyLedgerError):
    """Input from the user (a file, an argument) is invalid; nothing was changed."""


class SpecError(InputError):
    """A treaty specification does not validate.

    ``source`` names the file (or built-in specification), ``field`` the dotted
    path of the offending value (``limits[1].cap``), ``problem`` what is wrong.
    """

    def __init__(self, *, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {problem}")

    def diagnostics(self) -> str:
        return (
            f"invalid treaty specification {self.source}\n"
            f"  field:   {self.field or '(document)'}\n"
            f"  problem: {self.problem}"
        )


class InventoryError(InputError):
    """An itemised inventory does not validate against a treaty specification."""

    def __init__(self, *, item: str, field: str, problem: str) -> None:
        self.item = item
        self.field = field
        self.problem = problem
        super().__init__(f"item {item}: {field}: {problem}")


class PayloadError(InputError):
    """A notification payload does not match its type in the treaty's catalogue."""

    def __init__(self, *, notification: str, field: str, problem: str) -> None:
        self.notification = notification
        self.field = field
        self.problem = problem
        super().__init__(f"{notification} payload: {field}: {problem}")


class RecordError(InputError):
    """The public record (aggregate data-exchange figures) does not validate."""

    def __init__(self, *, source: str, row: int, problem: str) -> None:
        self.source = source
        self.row = row
        self.problem = problem
        super().__init__(f"{source}, row {row}: {problem}")


class NotFoundError(TreatyLedgerError):
    """A named object (a built-in specification, a party, a limit) does not exist."""


class FormatError(InputError):
    """An encoded object does not follow its specification; nothing was accepted.

    ``what`` names the kind of object (``signed note``, ``checkpoint``,
    ``verifier key``, ``tile``, ``entry bundle``, ``tlog-proof``), ``problem``
    says exactly what is wrong with it.
    """

    def __init__(self, *, what: str, problem: str) -> None:
        self.what = what
        self.problem = problem
        super().__init__(f"malformed {what}: {problem}")


class VerificationError(TreatyLedgerError):
    """A signature, a proof or a consistency check does not hold."""


class InconsistencyError(VerificationError):
    """Two signed checkpoints of the same log cannot both be true.

    Both checkpoints are kept, as signed notes, so the error is its own evidence.
    """

    def __init__(self, message: str, *, older: bytes, newer: bytes) -> None:
        self.older = older
        self.newer = newer
        super().__init__(message)

    def diagnostics(self) -> str:
        return (
            f"{self}\n--- older checkpoint ---\n{self.older.decode('utf-8', 'replace')}"
            f"--- newer checkpoint ---\n{self.newer.decode('utf-8', 'replace')}"
        )


class StorageError(TreatyLedgerError):
    """The store failed, or refused an operation that would break its guarantees."""


class ConflictError(StorageError):
    """Another writer changed the store since it was read; the operation changed nothing."""
