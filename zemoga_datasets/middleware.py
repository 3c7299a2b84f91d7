"""Two guards around every page: nothing is read before it is allowed, and outages answer 503.

`RequestBodyGuardMiddleware` decides from the headers alone, in `__call__`, so before any
`process_view` (CSRF's reads `request.POST`, which spools uploads to temporary files).
`ServiceUnavailableMiddleware` turns the errors of an unreachable MongoDB, Redis, storage or
database into a short "temporarily unavailable" page, whatever DEBUG says.
"""

import logging

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

from catalog.mongo import mongo_bound_operations
from jobs.outages import outage_service

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _anonymous_allowed(request: HttpRequest) -> bool:
    """Only views marked `login_not_required` (the login forms, the health checks) take an
    anonymous body."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return getattr(match.func, "login_required", True) is False


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    response = render(request, "uploads/too_large.html", {"limit": settings.UPLOAD_MAX_BYTES}, status=413)
    response["Connection"] = "close"  # the rest of the body is not wanted
    logger.warning("refused a %s-byte body on %s (limit %s)", request.META.get("CONTENT_LENGTH"), request.path, limit)
    return response


class RequestBodyGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            refused = self._refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        # Under WSGI a body without Content-Length (chunked) is never read by Django, so it would
        # be silently dropped: refuse it instead of guessing.
        if "CONTENT_LENGTH" not in request.META and "HTTP_TRANSFER_ENCODING" in request.META:
            return HttpResponse("A Content-Length is required.", status=411, content_type="text/plain")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length.", status=400, content_type="text/plain")
        if not request.user.is_authenticated:
            if not _anonymous_allowed(request):
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if length > settings.ANONYMOUS_REQUEST_MAX_BYTES:
                return _too_large(request, settings.ANONYMOUS_REQUEST_MAX_BYTES)
        elif length > settings.UPLOAD_REQUEST_MAX_BYTES:
            return _too_large(request, settings.UPLOAD_REQUEST_MAX_BYTES)
        return None


def service_unavailable_response(service: str) -> HttpResponse:
    """The 503 page: standalone (no user, no session), since the database may be what is down."""
    html = render_to_string("503.html", {"service": service})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = "30"
    response._has_been_logged = True  # logged once, by the middleware, without a traceback
    return response


class ServiceUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # Loaded once per web process (never by the worker): bound each MongoDB operation of a page.
        # Not pymongo.timeout(): under it, server selection waits for the whole budget instead of
        # MONGODB_SERVER_SELECTION_TIMEOUT_MS.
        mongo_bound_operations(socket_timeout_ms=settings.MONGODB_SOCKET_TIMEOUT_MS)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        service = outage_service(exception)
        if service is None:
            return None
        logger.warning(
            "%s unavailable on %s %s: %s: %s",
            service,
            request.method,
            request.path,
            type(exception).__name__,
            str(exception).splitlines()[0][:300] if str(exception) else "",
        )
        return service_unavailable_response(service)
