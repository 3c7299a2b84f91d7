"""The MongoDB connection, opened lazily so that forked Celery workers each get their own."""

import mongoengine
from django.conf import settings

_connected = False


def mongo_connect() -> None:
    global _connected
    if _connected:
        return
    mongoengine.connect(
        db=settings.MONGODB_NAME,
        host=settings.MONGODB_URI,
        connect=False,
        serverSelectionTimeoutMS=10_000,
        uuidRepresentation="standard",
    )
    _connected = True
