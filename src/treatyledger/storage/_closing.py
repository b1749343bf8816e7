"""The context-manager behaviour every driver shares: ``with store: ...`` closes it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

__all__ = ["Closing"]


class Closing:
    """Mixin: ``__enter__`` returns the store, ``__exit__`` calls its ``close()``."""

    def close(self) -> None:
        """Release the store's resources (each driver says what that means)."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        """The store itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        self.close()
