"""Logs on this machine: create one with its signing key, open one from its store.

The edge between the pure log and the world: key files on disk and stores
opened from URLs. The signing key never enters the database; the store
records the origin, the verifier key and where the key file is.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from treatyledger.errors import ConflictError, InputError, NotFoundError, StorageError
from treatyledger.log.note import Ed25519Verifier, Signer
from treatyledger.log.store import LogStore
from treatyledger.log.transparency_log import TransparencyLog

__all__ = [
    "create_log",
    "default_key_path",
    "open_log",
    "read_key_file",
    "write_key_file",
    "write_secret_file",
]

_ORIGIN = re.compile(r"[^\s+]+")


def default_key_path(db_url: str, origin: str) -> Path:
    """Where a new log's key file goes: beside a SQLite file, else in the working folder."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", origin).strip("_") or "log"
    if db_url.startswith("sqlite:///") and ":memory:" not in db_url:
        db_path = Path(db_url.removeprefix("sqlite:///"))
        return db_path.with_name(f"{db_path.stem}.{safe}.key")
    return Path(f"{safe}.key")


def write_secret_file(path: Path, line: str, *, what: str = "key file") -> None:
    """Write ``line`` to a new file readable by its owner only (mode 0600), durably.

    ConflictError if the file exists (a secret is never overwritten).
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ConflictError(f"{what} {path} already exists; not overwriting it") from exc
    except OSError as exc:
        raise StorageError(f"cannot create {what} {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def write_key_file(path: Path, signer: Signer) -> None:
    """Write the signer key string to a new file readable by its owner only (mode 0600)."""
    write_secret_file(path, signer.key_string())


def read_key_file(path: Path) -> Signer:
    """Read a signer key file (``PRIVATE+KEY+name+hex8+base64``)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError as exc:
        raise NotFoundError(f"key file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read key file {path}: {exc}") from exc
    return Signer.from_key_string(text)


def create_log(
    store: LogStore, *, origin: str, key_path: Path, signer: Signer | None = None
) -> TransparencyLog:
    """Create the log of ``store``: its signing key at ``key_path``, and the empty checkpoint.

    The key is new unless ``signer`` (named as ``origin``) is given.
    """
    if not _ORIGIN.fullmatch(origin):
        raise InputError(f"an origin is one word with no spaces or '+', got {origin!r}")
    if store.get_meta("origin") is not None:
        raise ConflictError(f"this store already holds the log {store.get_meta('origin')!r}")
    if signer is None:
        signer = Signer.generate(origin)
    elif signer.name != origin:
        raise InputError(f"the key is named {signer.name!r}, not the origin {origin!r}")
    write_key_file(key_path, signer)
    verifier = signer.verifier()
    store.set_meta("origin", origin, create_only=True)
    store.set_meta("vkey", verifier.vkey())
    store.set_meta("key_path", str(key_path.resolve()))
    log = TransparencyLog(store=store, origin=origin, verifier=verifier, signer=signer)
    log.integrate()
    return log


def open_log(
    store: LogStore, *, writable: bool = False, key_path: Path | None = None
) -> TransparencyLog:
    """Open the log of ``store``; with ``writable``, also load its signing key."""
    origin = store.get_meta("origin")
    vkey = store.get_meta("vkey")
    if origin is None or vkey is None:
        raise NotFoundError("no log here yet; create one with `treaty log init --origin ORIGIN`")
    verifier = Ed25519Verifier.from_vkey(vkey)
    signer = None
    if writable:
        stored = store.get_meta("key_path")
        path = key_path or (Path(stored) if stored else None)
        if path is None:
            raise NotFoundError(f"no key file is recorded for {origin}; pass --key")
        signer = read_key_file(path)
        if signer.verifier().vkey() != vkey:
            raise InputError(f"the key in {path} is not the signing key of {origin}")
    return TransparencyLog(store=store, origin=origin, verifier=verifier, signer=signer)
