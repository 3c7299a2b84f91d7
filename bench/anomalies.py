"""What keeping values instead of messages costs: fingerprints, rendering and anomalies.csv for
many anomalies (the engine lists at most 10,000 per file and code, so 100,000 is a hostile upper
bound; a 100,000-column sample has about 1,300).

    .venv/bin/python bench/anomalies.py [--anomalies 100000]

CPU seconds (process time) are printed beside wall time: steadier on a shared machine.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pandas as pd

from engine.codes import Code, anomaly_fingerprints, anomaly_frame
from engine.report import anomalies_csv, anomalies_rendered


def frame_build(n: int) -> pd.DataFrame:
    """A mix as the checks make it: per-row params (duplicates), shared ones (references), none."""
    third = n // 3
    lines = np.arange(2, 2 + third)
    keys = [f"C{i}" for i in range(third)]
    parts = [
        anomaly_frame(
            file="columns",
            code=Code.DUPLICATE_KEY,
            field="column_id",
            lines=lines,
            values=keys,
            keys=keys,
            params=[{"line": int(line) - 1} for line in lines],
        ),
        anomaly_frame(
            file="columns",
            code=Code.UNKNOWN_REFERENCE,
            field="namespace_id",
            lines=lines,
            values="N9",
            keys=keys,
            params={"target": "namespaces"},
        ),
        anomaly_frame(
            file="columns", code=Code.WHITESPACE, field="dataset_column_name", lines=lines, values=" x ", keys=keys
        ),
    ]
    return pd.concat(parts, ignore_index=True)


def timed(label: str, work) -> object:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    print(f"{label}: {time.perf_counter() - wall:.3f} s wall [{time.process_time() - cpu:.3f} s CPU]")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--anomalies", type=int, default=100_000)
    args = parser.parse_args()
    frame = timed(f"anomaly frames of {args.anomalies:,} anomalies", lambda: frame_build(args.anomalies))
    frame["fingerprint"] = timed("fingerprints", lambda: anomaly_fingerprints(frame))
    timed("message and fix rendered", lambda: anomalies_rendered(frame))
    report = timed("anomalies.csv written", lambda: anomalies_csv(frame))
    print(f"anomalies.csv: {len(report) / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
