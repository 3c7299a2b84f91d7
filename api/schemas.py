"""The shapes the API sends (pydantic, through django-ninja): the OpenAPI schema is made from them.

`anomaly_out` is the one place a stored anomaly document becomes the API's `Anomaly`, and
`anomaly_group_out` a stored group its `AnomalyGroup`."""

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any
from uuid import UUID

from ninja import Schema
from pydantic import AnyHttpUrl, Field, StringConstraints

from contract import FILES, AnomalyStatus, Code, Severity, anomaly_render
from uploads.models import AcceptanceScope, AnomalyAcceptance

FileName = Enum("FileName", {file: file for file in FILES}, type=str)


class ErrorItem(Schema):
    loc: list[str | int] = Field(default_factory=list, description="Where: the parameter or form field.")
    msg: str


class Error(Schema):
    """Every 4xx answer: a sentence for people, a code for programs."""

    detail: str
    code: str
    errors: list[ErrorItem] | None = None


class Progress(Schema):
    done: int
    total: int
    detail: str = Field(description="What is happening now, in a sentence.")


class Version(Schema):
    id: UUID
    dataset_id: UUID
    number: int
    status: str = Field(description="queued, processing, done or failed")
    stage: str
    stage_label: str
    percent: int
    final: bool = Field(description="done or failed: nothing more will change")
    current: bool = Field(description="the version the dataset's pages show")
    progress: Progress
    error: str | None
    counts: dict[str, Any] = Field(description="per file: rows read, saved, with errors, and anomalies per code")
    severity_counts: dict[str, int] = Field(description="anomalies per severity over the three files")
    anomalies_total: int
    replaced_files: list[str]
    records_kept: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class Dataset(Schema):
    id: UUID
    name: str
    owner: str | None
    created_at: datetime
    deleting: bool
    may_change: bool
    current_version: int | None
    latest_version: Version | None


class DatasetPage(Schema):
    items: list[Dataset]
    page: int
    pages: int
    total: int


class VersionList(Schema):
    items: list[Version]


class Anomaly(Schema):
    file: str
    line: int | None
    field: str
    code: str
    severity: str
    value: str
    key: str
    message: str
    fix: str | None = None
    fingerprint: str | None = None
    status: str | None = Field(None, description="new, known or accepted")


class AnomalyFilters(Schema):
    """The anomaly list's filters (query parameters), as the pages have them."""

    file: FileName | None = None
    code: Code | None = None
    severity: Severity | None = None
    status: AnomalyStatus | None = None

    def as_strings(self) -> dict[str, str]:
        """Each filter as the selectors take it: its value, or "" for none."""
        return {name: str(value.value) if value else "" for name, value in self}


class AnomalyPage(Schema):
    items: list[Anomaly]
    page: int
    pages: int
    total: int


FINGERPRINT = r"^[0-9a-f]{40}$"
Fingerprint = Annotated[str, StringConstraints(pattern=FINGERPRINT)]


class Acceptance(Schema):
    """A person's decision to live with a group of anomalies or one anomaly, in this version and the next."""

    fingerprint: str = Field(description="the group's fingerprint (scope group) or the anomaly's; what undo removes")
    scope: str = Field(description="group or anomaly")
    file: str
    code: str
    field: str
    value: str
    note: str
    until: date | None = Field(description="the decision lapses after this day")
    active: bool = Field(description="it holds today: no `until`, or that day has not passed")
    accepted_by: str | None
    accepted_at: datetime


class AcceptanceIn(Schema):
    """A group (file, code, field and value; its fingerprint is computed from them) or one anomaly
    (its `fingerprint`, with its file and code)."""

    scope: AcceptanceScope
    file: FileName
    code: Code
    field: str = Field("", max_length=200)
    value: str = Field("", max_length=200)
    fingerprint: Fingerprint | None = Field(None, description="the anomaly's (scope anomaly)")
    note: str = Field("", max_length=2000)
    until: date | None = Field(None, description="the decision lapses after this day; none: until undone")


class AcceptancePage(Schema):
    items: list[Acceptance]
    page: int
    pages: int
    total: int


class StatusCounts(Schema):
    new: int
    known: int
    accepted: int


class AnomalyGroup(Schema):
    group: str = Field(description="the group's fingerprint: what `fixes` takes and an acceptance of the group holds")
    file: str
    code: str
    severity: str
    field: str
    value: str
    count: int = Field(description="its anomalies (with a status filter: those of that status)")
    statuses: StatusCounts = Field(description="its anomalies per status, as the version's counts are")
    lines: list[int] = Field(description="its first lines")
    message: str
    fix: str | None = None
    fixable: bool = Field(description="its fix is unambiguous: `fixes` applies it")
    acceptance: Acceptance | None = Field(
        None, description="the decision that holds the group today (the counts follow it within seconds)"
    )


class AnomalyGroupPage(Schema):
    items: list[AnomalyGroup]
    page: int
    pages: int
    total: int
    statuses_pending: bool = Field(description="a decision is not in the counts and the status filter yet")


class FixesIn(Schema):
    groups: list[Fingerprint] = Field(
        min_length=1, max_length=1000, description="the fingerprints of the groups whose fixes to apply"
    )
    make_version: bool = Field(
        False, description="make a new version from the corrected files (201) instead of sending them (200)"
    )


class ItemPage(Schema):
    items: list[dict[str, Any]]
    page: int
    pages: int
    total: int


class Browse(Schema):
    level: str = Field(description="namespaces, databases, tables, columns or datapoints")
    version: int | None
    items: list[dict[str, Any]]
    page: int
    pages: int
    total: int


class DataPoint(Schema):
    datapoint: dict[str, Any]
    columns: ItemPage


class Search(Schema):
    query: str
    words: list[str]
    datapoints: ItemPage
    columns: ItemPage


class Accepted(Schema):
    detail: str
    code: str


class WebhookIn(Schema):
    url: AnyHttpUrl = Field(description="receives a signed POST for each finished version")
    dataset_id: UUID | None = Field(None, description="only this dataset's versions; every dataset's when empty")


class Webhook(Schema):
    id: UUID
    url: str
    dataset_id: UUID | None
    event: str
    secret: str = Field(description="the key of the HMAC-SHA256 signature in `X-Zemoga-Signature`")
    created_at: datetime


class WebhookList(Schema):
    items: list[Webhook]


class Delivery(Schema):
    id: UUID
    event: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    response_code: int | None
    last_error: str
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    payload: dict[str, Any]


class DeliveryList(Schema):
    items: list[Delivery]


def _text(value) -> str:
    return "" if value is None else str(value)


def anomaly_out(document: dict) -> Anomaly:
    """A stored anomaly (an item of the anomaly index) as the API's `Anomaly`: its message and fix
    rendered from its values by the catalogue, as the pages render them."""
    line = document.get("line")
    try:
        line = int(line) if line not in (None, "") else None
    except (TypeError, ValueError):
        line = None
    rendered = anomaly_render(document)
    return Anomaly(
        file=_text(document.get("file")),
        line=line,
        field=_text(document.get("field")),
        code=_text(document.get("code")),
        severity=_text(document.get("severity")),
        value=_text(document.get("value")),
        key=_text(document.get("key")),
        message=rendered.message,
        fix=rendered.fix or None,
        fingerprint=document.get("fingerprint") or None,
        status=document.get("status") or None,
    )


def acceptance_out(acceptance: AnomalyAcceptance, today: date) -> Acceptance:
    return Acceptance(
        fingerprint=acceptance.fingerprint,
        scope=acceptance.scope,
        file=acceptance.file,
        code=acceptance.code,
        field=acceptance.field,
        value=acceptance.value,
        note=acceptance.note,
        until=acceptance.until,
        active=acceptance.until is None or acceptance.until >= today,
        accepted_by=acceptance.accepted_by.get_username() if acceptance.accepted_by else None,
        accepted_at=acceptance.accepted_at,
    )


def anomaly_group_out(item: dict, *, statuses: dict[str, int], fixable: bool, today: date) -> AnomalyGroup:
    """A stored group (an item of the groups' index, with today's decision as
    `uploads.anomaly_status.items_status_shown` gives it) as the API's `AnomalyGroup`: message and fix
    rendered from its first anomaly's values, as the groups page renders them."""
    rendered = anomaly_render(item)
    acceptance = item.get("acceptance")
    return AnomalyGroup(
        group=_text(item.get("group")),
        file=_text(item.get("file")),
        code=_text(item.get("code")),
        severity=_text(item.get("severity")),
        field=_text(item.get("field")),
        value=_text(item.get("value")),
        count=int(item.get("count") or 0),
        statuses=StatusCounts(**statuses),
        lines=[int(line) for line in item.get("lines") or []],
        message=rendered.message,
        fix=rendered.fix or None,
        fixable=fixable,
        acceptance=acceptance_out(acceptance, today) if acceptance is not None else None,
    )


__all__ = ["AnomalyStatus", "Code", "FileName", "Severity"]
