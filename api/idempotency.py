"""`Idempotency-Key` on create: the first answer to a key is stored and returned to every retry
(24 hours, per user), so a retried upload makes no second dataset or version."""

from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from api.models import IdempotentRequest

KEEP = timedelta(hours=24)


class KeyReused(Exception):
    """The key was first sent with another request."""


def idempotent_call(
    *, user, key: str | None, operation: str, create: Callable[[], tuple[int, dict]]
) -> tuple[int, dict]:
    """Runs `create` once per (user, key); `create` returns (status, JSON body)."""
    if not key:
        return create()
    IdempotentRequest.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    try:
        with transaction.atomic():
            first = IdempotentRequest.objects.filter(user=user, key=key).first()
            if first is None:
                status, body = create()
                IdempotentRequest.objects.create(user=user, key=key, operation=operation, status_code=status, body=body)
                return status, body
    except IntegrityError:
        # The same key at the same moment: the other request won, and its create is rolled back here.
        first = IdempotentRequest.objects.get(user=user, key=key)
    if first.operation != operation:
        raise KeyReused(f"This Idempotency-Key was first used for another request ({first.operation}).")
    return first.status_code, first.body
