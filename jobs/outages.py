"""Which backing service an exception says is unreachable: one list, for the 503 page, /readyz and
the jobs that put a version back in the queue instead of failing it (`uploads.processing`)."""

import botocore.exceptions
import kombu.exceptions
import pymongo.errors
import redis.exceptions
from django.db import InterfaceError, OperationalError
from django.http import UnreadablePostError

# S3 answers these codes when it is the one in trouble, not the request.
_STORAGE_SERVER_CODES = {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "503", "500"}


def outage_service(exception: BaseException) -> str | None:
    """ "MongoDB", "Redis", "storage" or "database" when `exception` means that service cannot be
    reached (or did not answer in time); None for any other error, which stays a real 500."""
    if isinstance(exception, pymongo.errors.PyMongoError):
        if isinstance(exception, pymongo.errors.ConnectionFailure) or exception.timeout:
            return "MongoDB"
        return None
    if isinstance(exception, (kombu.exceptions.OperationalError, redis.exceptions.ConnectionError)):
        return "Redis"
    if isinstance(exception, redis.exceptions.TimeoutError):
        return "Redis"
    if isinstance(exception, (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)):
        return "storage"
    if isinstance(exception, botocore.exceptions.ClientError):
        code = str(exception.response.get("Error", {}).get("Code", ""))
        return "storage" if code in _STORAGE_SERVER_CODES else None
    if isinstance(exception, (OperationalError, InterfaceError)):
        return "database"
    # Local-disk storage: a missing mount, a full or read-only disk. A client that hung up mid-body
    # is not an outage.
    if isinstance(exception, OSError) and not isinstance(exception, UnreadablePostError):
        return "storage"
    return None
