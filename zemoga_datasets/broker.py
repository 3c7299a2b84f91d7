"""The Celery broker as the settings describe it (Redis or SQS), for /readyz and the tests.

Celery itself reads the settings (`CELERY_*`); this module only looks at the same queues from the
outside, with short timeouts, without a Celery connection.
"""

from urllib.parse import unquote, urlsplit

import boto3
import botocore.config
import redis
from django.conf import settings


def broker_transport() -> str:
    """The transport: "redis" or "sqs", the scheme of CELERY_BROKER_URL."""
    return settings.BROKER_TRANSPORT


def sqs_queue_urls() -> dict[str, str]:
    """The jobs' queues on SQS, by name (the transport's predefined queues)."""
    queues = settings.CELERY_BROKER_TRANSPORT_OPTIONS["predefined_queues"]
    return {name: queue["url"] for name, queue in queues.items()}


def sqs_client(*, timeout_seconds: float):
    """A boto3 SQS client on the broker's endpoint and credentials (the default AWS chain when the
    URL names none, as on ECS with a task role)."""
    url = urlsplit(settings.CELERY_BROKER_URL)
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    endpoint = None
    if url.hostname:
        scheme = "https" if options.get("is_secure") else "http"
        endpoint = f"{scheme}://{url.hostname}" + (f":{url.port}" if url.port else "")
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=options.get("region"),
        aws_access_key_id=unquote(url.username) if url.username else None,
        aws_secret_access_key=unquote(url.password) if url.password else None,
        config=botocore.config.Config(
            connect_timeout=timeout_seconds, read_timeout=timeout_seconds, retries={"total_max_attempts": 1}
        ),
    )


def broker_ping(*, timeout_seconds: float) -> None:
    """Raises unless the broker answers: Redis's PING, or each SQS queue's attributes."""
    if broker_transport() == "sqs":
        client = sqs_client(timeout_seconds=timeout_seconds)
        for queue_url in sqs_queue_urls().values():
            client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])
        return
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=timeout_seconds, socket_timeout=timeout_seconds
    )
    try:
        client.ping()
    finally:
        client.close()
