"""Personal API tokens: create (the secret is returned once), authenticate, revoke, and the
per-token and per-address throttles (a counter per minute in the cache every web process shares:
CACHE_URL, docs/production.md)."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from api.models import ApiToken

TOKEN_PREFIX = "zds_"
# "last used" is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def token_create(*, user, name: str, days: int | None = None) -> NewToken:
    """A new token for `user`, valid `days` (API_TOKEN_DAYS by default; 0: no expiry)."""
    days = settings.API_TOKEN_DAYS if days is None else days
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "token",
        prefix=secret[:10],
        digest=_digest(secret),
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    return NewToken(token=token, secret=secret)


def token_authenticate(*, secret: str) -> ApiToken | None:
    """The live token with this secret (not revoked, not expired, its user active), else None."""
    now = timezone.now()
    token = ApiToken.objects.select_related("user").filter(digest=_digest(secret), revoked_at__isnull=True).first()
    if token is None or (token.expires_at and token.expires_at <= now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_revoke(*, user, token_id: int) -> bool:
    return bool(
        ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    )


def _over(key: str, limit: int) -> bool:
    """Counts one more hit in this minute's window of `key`; True past `limit`. `add` and `incr`
    are each atomic on the shared backends (Redis; the database cache of zemoga_datasets/cache.py),
    so processes counting at once never lose a hit."""
    window = f"api-throttle:{key}:{int(timezone.now().timestamp() // 60)}"
    cache.add(window, 0, timeout=120)
    try:
        hits = cache.incr(window)
    except ValueError:  # expired between add and incr
        cache.set(window, 1, timeout=120)
        hits = 1
    return hits > limit


def token_throttled(*, token: ApiToken) -> bool:
    return _over(f"token:{token.pk}", settings.API_REQUESTS_PER_MINUTE)


def failed_tokens_throttled(*, address: str, count: bool) -> bool:
    """True once an address sent API_FAILED_TOKENS_PER_MINUTE bad tokens this minute;
    `count`: this request's token was bad."""
    window = f"api-throttle:failed:{address}:{int(timezone.now().timestamp() // 60)}"
    if count:
        return _over(f"failed:{address}", settings.API_FAILED_TOKENS_PER_MINUTE)
    return (cache.get(window) or 0) >= settings.API_FAILED_TOKENS_PER_MINUTE
