"""Streaming SHA-256 throughput and peak RSS on a synthetic file (pipeline.digest.sha256_file)."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time

from pipeline.digest import CHUNK_BYTES, sha256_file

TARGET_MB_PER_S = 300.0
BLOCK_BYTES = 4 * 1024 * 1024


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _write_synthetic(path: str, size_bytes: int) -> str:
    """Writes size_bytes of pseudo-random data; returns its SHA-256 (computed while writing)."""
    block, digest, written = os.urandom(BLOCK_BYTES), hashlib.sha256(), 0
    with open(path, "wb") as handle:
        while written < size_bytes:
            chunk = block[: min(BLOCK_BYTES, size_bytes - written)]
            handle.write(chunk)
            digest.update(chunk)
            written += len(chunk)
    return digest.hexdigest()


def run(size_mb: int, workdir: str | None) -> dict:
    """Digest one size_mb file, timing it and recording peak RSS before and after."""
    tmp = tempfile.mkdtemp(prefix="bench_digest_", dir=workdir)
    try:
        path = os.path.join(tmp, "synthetic.bin")
        size = size_mb * 1024 * 1024
        expected = _write_synthetic(path, size)
        rss_before = _peak_rss_mb()
        start = time.perf_counter()
        actual = sha256_file(path)
        seconds = time.perf_counter() - start
        rss_after = _peak_rss_mb()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    mb_per_s = size / 1e6 / seconds
    return {
        "file_bytes": size, "chunk_bytes": CHUNK_BYTES, "seconds": round(seconds, 3),
        "mb_per_s": round(mb_per_s, 1), "mib_per_s": round(size / 2**20 / seconds, 1),
        "target_mb_per_s": TARGET_MB_PER_S, "meets_target": mb_per_s >= TARGET_MB_PER_S,
        "peak_rss_mb_before_digest": round(rss_before, 1),
        "peak_rss_mb_after_digest": round(rss_after, 1),
        "peak_rss_growth_mb": round(rss_after - rss_before, 1),
        "digest_correct": actual == expected,
        "page_cache": "warm (file just written; caches were not dropped)",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024, help="synthetic file size in MiB")
    parser.add_argument("--dir", default=None, help="where to create the temp file")
    args = parser.parse_args(argv)
    result = run(args.size_mb, args.dir)
    print(json.dumps(result, indent=2))
    return 0 if result["digest_correct"] else 1


if __name__ == "__main__":
    sys.exit(main())
