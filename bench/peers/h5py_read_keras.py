#!/usr/bin/env python3
"""Peer of bench/import-keras.bench.ts: h5py reading every weight of a Keras HDF5 file.

usage: h5py_read_keras.py FILE.h5 OUT.bin
Reads every dataset of FILE.h5 (in file order, as `f.visititems` walks it) into numpy as float32
and appends its little-endian bytes to OUT.bin: the work of `fedaln-model import-keras` minus
building the topology (what tensorflowjs_converter does with h5py under the hood). Prints one JSON
line: {"seconds": wall time of open + read + write, "peak_rss_kb": ru_maxrss of this process at the
end, "tensors": N, "bytes": B, "h5py": version}. Python start and imports are not timed.
"""
import json
import resource
import sys
import time

import h5py
import numpy as np


def main():
    src, out = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    datasets = []
    with h5py.File(src, "r") as f, open(out, "wb") as w:
        f.visititems(lambda p, o: datasets.append(p) if isinstance(o, h5py.Dataset) else None)
        total = 0
        for p in datasets:
            a = np.asarray(f[p][()], dtype="<f4")
            w.write(a.tobytes())
            total += a.nbytes
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "seconds": seconds,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "tensors": len(datasets),
        "bytes": total,
        "h5py": h5py.__version__,
    }))


if __name__ == "__main__":
    main()
