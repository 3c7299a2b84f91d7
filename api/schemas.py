"""The shapes the API sends (pydantic, through django-ninja): the OpenAPI schema is made from them.

`anomaly_out` is the one place a stored anomaly document becomes the API's `Anomaly`."""

from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import AnyHttpUrl, Field

from contract import FILES, AnomalyStatus, Code, Severity, anomaly_render

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


class AnomalyPage(Schema):
    items: list[Anomaly]
    page: int
    pages: int
    total: int


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


__all__ = ["AnomalyStatus", "Code", "FileName", "Severity"]
