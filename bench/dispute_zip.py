"""How the dispute bundle's zip streams a large proof file: throughput and the memory it takes.

A file of ``--mib`` MiB (a PNG header, then random bytes: as incompressible as a photo) is put
in a local blob store, then written into a zip by ``api.zip_stream`` as the export does (read
from the store in chunks, stored uncompressed, sent piece by piece). Prints the time, the
throughput and the peak of Python allocations while zipping (tracemalloc, a second run)::

    .venv/bin/python bench/dispute_zip.py --mib 100
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

from logistics.api.zip_stream import zip_stream
from logistics.blobs.local import LocalBlobStore


async def zipped(store: LocalBlobStore) -> int:
    async def members() -> AsyncIterator[tuple[str, AsyncIterator[bytes], bool]]:
        yield "files/big.png", await store.open("t/big"), False

    sent = 0
    async for part in zip_stream(members()):
        sent += len(part)
    return sent


async def main(mib: int) -> None:
    with tempfile.TemporaryDirectory() as root:
        store = LocalBlobStore(Path(root))
        chunk = b"\x89PNG\r\n\x1a\n" + os.urandom((1 << 20) - 8)

        async def content() -> AsyncIterator[bytes]:
            for _ in range(mib):
                yield chunk

        await store.put("t/big", content(), max_bytes=mib << 20, allowed_types={"image/png"})
        started = time.perf_counter()
        sent = await zipped(store)
        took = time.perf_counter() - started
        tracemalloc.start()
        await zipped(store)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(
        f"{mib} MiB file -> {sent / 2**20:.1f} MiB zip in {took:.2f} s "
        f"({mib / took:.0f} MiB/s); peak Python allocations while zipping {peak / 2**20:.2f} MiB"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=20)
    asyncio.run(main(parser.parse_args().mib))
