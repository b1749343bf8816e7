"""A writer for the crash test: appends and integrates until it is killed.

Run as ``python crash_writer.py URL SIGNER_KEY SEED``. It alternates plain
appends (integrated every few batches) with appends integrated in the same
commit. After each append returns it prints ``A first count digest`` (the
entries are then durable); after each integration ``C base64(checkpoint)``.
Lines are flushed at once, so the parent knows exactly what was acknowledged
before the SIGKILL.
"""

from __future__ import annotations

import base64
import hashlib
import random
import sys

from treatyledger.log.note import Signer
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.storage import open_store


def digest(entries: list[bytes]) -> str:
    h = hashlib.sha256()
    for e in entries:
        h.update(len(e).to_bytes(4, "big") + e)
    return h.hexdigest()


def main() -> None:
    url, key, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    signer = Signer.from_key_string(key)
    store = open_store(url)
    log = TransparencyLog(
        store=store, origin=signer.name, verifier=signer.verifier(), signer=signer
    )
    rng = random.Random(seed)
    batch = 0
    while True:
        entries = [rng.randbytes(rng.randrange(1, 300)) for _ in range(rng.randrange(1, 60))]
        batch += 1
        if batch % 2:
            # Sequencing and integration in one commit.
            indexes, signed = log.append_and_integrate(entries)
            print(f"A {indexes[0]} {len(entries)} {digest(entries)}", flush=True)
            print(f"C {base64.b64encode(signed).decode()}", flush=True)
            continue
        first = log.append(entries)[0]
        print(f"A {first} {len(entries)} {digest(entries)}", flush=True)
        if batch % 3 == 0:
            signed = log.integrate()
            print(f"C {base64.b64encode(signed).decode()}", flush=True)


if __name__ == "__main__":
    main()
