"""Kinds of job, registered by the apps that own them (in their `AppConfig.ready`).

The jobs app sends a kind's task by name and calls its callbacks, so it imports none of those apps.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class JobKind:
    name: str  # e.g. "version.process", "dataset.delete"
    task_name: str  # the Celery task that runs it, called with the object id
    activity: str  # what the job does, for the user's note: "processing", "deleting"
    # Marks the object failed with a readable reason when the job is given up.
    give_up: Callable[..., None]
    # True when the object already reached its final state (a run ended but its release was lost).
    is_finished: Callable[..., bool]
    # Of the `object_ids` given, the set of those whose object still exists: the sweep forgets
    # the finished jobs of the others.
    existing: Callable[..., set[str]]


_kinds: dict[str, JobKind] = {}


def job_kind_register(*, kind: JobKind) -> None:
    _kinds[kind.name] = kind


def job_kind_get(*, name: str) -> JobKind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"no job kind {name!r} is registered") from None
