"""The API's door (/api/v1/), before the request body guard and the login redirect: who is calling
(a Bearer token, or the session), throttles, and body limits, all answered in JSON.

It decides from the headers alone, so an oversized upload is refused (413) before its body is
read, as `RequestBodyGuardMiddleware` does for the pages.
"""

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from api.tokens import failed_tokens_throttled, token_authenticate, token_throttled
from jobs.outages import outage_service

logger = logging.getLogger(__name__)

# The API alone; the token and webhook pages under /api/ are pages like the others (login, CSRF).
API_PREFIX = "/api/v1/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def api_error(status: int, detail: str, code: str, **headers: str) -> JsonResponse:
    """The JSON body of every error the API answers (`Error` in the schema)."""
    response = JsonResponse({"detail": detail, "code": code}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _bearer(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None


class ApiRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            refused = self._identify(request)
        except Exception as exc:
            # The throttles' shared cache (Redis) or the database unreachable: a JSON 503, not a 500.
            service = outage_service(exc)
            if service is None:
                raise
            logger.warning("%s unavailable on %s %s: %s", service, request.method, request.path, type(exc).__name__)
            return api_error(503, f"{service} is unavailable; try again shortly.", "unavailable", Retry_After="30")
        refused = refused or self._body_refusal(request)
        return refused or self.get_response(request)

    def _identify(self, request: HttpRequest) -> HttpResponse | None:
        request.api_token = None
        secret = _bearer(request)
        address = request.META.get("REMOTE_ADDR", "")
        if secret is None:
            if request.user.is_authenticated:
                return None  # a browser session (the docs page); the API checks its CSRF token
            return api_error(401, "Authentication required: send `Authorization: Bearer <token>`.", "unauthenticated")
        if failed_tokens_throttled(address=address, count=False):
            return api_error(
                429, "Too many invalid tokens from this address; wait a minute.", "throttled", Retry_After="60"
            )
        token = token_authenticate(secret=secret) if secret else None
        if token is None:
            failed_tokens_throttled(address=address, count=True)
            return api_error(401, "This token is unknown, revoked or expired.", "invalid_token")
        if token_throttled(token=token):
            return api_error(429, "Too many requests with this token; wait a minute.", "throttled", Retry_After="60")
        request.user = token.user
        request.api_token = token
        return None

    def _body_refusal(self, request: HttpRequest) -> HttpResponse | None:
        if request.method in SAFE_METHODS:
            return None
        if "CONTENT_LENGTH" not in request.META and "HTTP_TRANSFER_ENCODING" in request.META:
            return api_error(411, "A Content-Length is required.", "length_required")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return api_error(400, "Bad Content-Length.", "bad_request")
        if length > settings.UPLOAD_REQUEST_MAX_BYTES:
            limit = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
            response = api_error(413, f"The request is too large: each file may hold {limit} MiB.", "too_large")
            response["Connection"] = "close"  # the rest of the body is not wanted
            return response
        return None
