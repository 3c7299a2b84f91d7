"""The test settings' `JOB_STAGE_HOOK`: pauses a worker at a named step, so a test can kill it there.

FAULT_PAUSE_AT=stage[:fraction] and FAULT_PAUSE_DIR=folder (environment of the worker). The first
run to reach the step writes `<object id>-<stage>.paused` (holding its pid) and waits until the
test writes `<object id>-<stage>.resume`, kills it, or kills its parent. Later runs pass through.
"""

import os
import time
from pathlib import Path


def stage_pause(*, kind: str, object_id: str, stage: str, fraction: float) -> None:
    target, directory = os.environ.get("FAULT_PAUSE_AT", ""), os.environ.get("FAULT_PAUSE_DIR", "")
    if not target or not directory:
        return
    name, _, minimum = target.partition(":")
    if stage != name or fraction < float(minimum or 0):
        return
    marker = Path(directory) / f"{object_id}-{stage}"
    try:
        descriptor = os.open(marker.with_suffix(".paused"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return  # paused once already: this is the run after the fault
    os.write(descriptor, str(os.getpid()).encode())
    os.close(descriptor)
    parent = os.getppid()
    while not marker.with_suffix(".resume").exists():
        if os.getppid() != parent:
            os._exit(1)  # the worker's main process was killed: a pool child must not outlive it here
        time.sleep(0.05)
