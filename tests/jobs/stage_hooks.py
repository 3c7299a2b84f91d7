"""A `JOB_STAGE_HOOK` for the jobs tests: records each step a running job reports."""

calls: list[dict] = []


def stage_record(**step) -> None:
    calls.append(step)
