"""The stages of processing a version, in order, and what people read for each: one enum, which the
engine reports (reading, checking) and the app continues (`uploads.models.VersionStage` is built from it)."""

from collections.abc import Callable
from enum import StrEnum


class Stage(StrEnum):
    QUEUED = "queued"
    READING = "reading"
    CHECKING = "checking"
    PERSISTING = "persisting"
    INDEXING = "indexing"
    COMPARING = "comparing"
    REPORTING = "reporting"
    FINISHED = "finished"


STAGE_LABELS = {
    Stage.QUEUED: "Waiting in the queue",
    Stage.READING: "Reading the files",
    Stage.CHECKING: "Checking the records",
    Stage.PERSISTING: "Saving the records",
    Stage.INDEXING: "Building the browse and search pages",
    Stage.COMPARING: "Comparing with the current version",
    Stage.REPORTING: "Writing the reports",
    Stage.FINISHED: "Finished",
}

# `progress(stage, fraction)`: how much of `stage` is done, from 0 to 1 (the one scale of progress;
# the app adds how many units of work, `done` of `total`, where it counts them).
Progress = Callable[..., None]
