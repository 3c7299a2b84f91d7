"""The MongoDB connection, opened lazily so that forked Celery workers each get their own."""

import mongoengine
import pymongo
from django.conf import settings
from mongoengine.connection import get_db

_connected = False
# None: no limit (the worker's long bulk writes). The web process sets one (see mongo_bound_operations).
_socket_timeout_ms: int | None = None


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
        socketTimeoutMS=_socket_timeout_ms,
        uuidRepresentation="standard",
    )
    _connected = True


def mongo_bound_operations(*, socket_timeout_ms: int) -> None:
    """Bounds every MongoDB operation of this process from now on: the web process calls it, so a
    page never hangs on a stalled server; the worker never does."""
    global _socket_timeout_ms
    _socket_timeout_ms = socket_timeout_ms
    mongo_disconnect()


def mongo_disconnect() -> None:
    """Forgets the connection, so the next call connects anew with the current settings."""
    global _connected
    mongoengine.disconnect()
    _connected = False


# None: no limit (the worker's long bulk writes). The web process sets one (see mongo_bound_operations).
_socket_timeout_ms: int | None = None


def mongo_ping(*, timeout_seconds: float) -> None:
    """Raises unless the server answers a ping within `timeout_seconds`."""
    mongo_connect()
    with pymongo.timeout(timeout_seconds):
        get_db().command("ping")
