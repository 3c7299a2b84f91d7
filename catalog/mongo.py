"""The MongoDB connection, opened lazily so that forked Celery workers each get their own."""

import mongoengine
import pymongo
from django.conf import settings
from mongoengine.connection import get_db

_connected = False


def mongo_connect() -> None:
    global _connected
    if _connected:
        return
    mongoengine.connect(
        db=settings.MONGODB_NAME,
        host=settings.MONGODB_URI,
        connect=False,
        # Short, so an unreachable server fails a page fast (see ServiceUnavailableMiddleware).
        serverSelectionTimeoutMS=settings.MONGODB_SERVER_SELECTION_TIMEOUT_MS,
        connectTimeoutMS=settings.MONGODB_CONNECT_TIMEOUT_MS,
        uuidRepresentation="standard",
    )
    _connected = True


def mongo_disconnect() -> None:
    """Forgets the connection, so the next call connects anew with the current settings."""
    global _connected
    mongoengine.disconnect()
    _connected = False


def mongo_ping(*, timeout_seconds: float) -> None:
    """Raises unless the server answers a ping within `timeout_seconds`."""
    mongo_connect()
    with pymongo.timeout(timeout_seconds):
        get_db().command("ping")
