"""Guards around every page: nothing is read before it is allowed, no page is sent past a size,
and outages answer 503.

`RequestBodyGuardMiddleware` decides from the headers alone, in `__call__`, so before any
`process_view` (CSRF's reads `request.POST`, which spools uploads to temporary files).
`ResponseSizeGuardMiddleware` refuses to send a page that grew past RESPONSE_MAX_BYTES.
`ServiceUnavailableMiddleware` turns the errors of an unreachable MongoDB, Redis, storage or
database into a short "temporarily unavailable" page, whatever DEBUG says.
"""

import logging

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

from catalog.mongo import mongo_bound_operations
from zemoga_datasets.outages import outage_service

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
    logger.warning("refused a %s-byte body on %s (limit %s)", request.META.get("CONTENT_LENGTH"), request.path, limit)
    return response


def _closing(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """`response`, with the connection closed after it: the rest of the body is not wanted, and a
    chunked one could not be told from the next request. gunicorn honours `Connection: close`;
    runserver (wsgiref) refuses that hop-by-hop header from an application (an AssertionError, so a
    500) but closes the connection itself after a response without a Content-Length."""
    if not request.META.get("SERVER_SOFTWARE", "").startswith("WSGIServer/"):
        response["Connection"] = "close"
        return response
    streamed = StreamingHttpResponse([response.content], status=response.status_code)
    for header, value in response.items():
        if header.lower() != "content-length":
            streamed[header] = value
    return streamed


class RequestBodyGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            refused = self._refusal(request)
            if refused is not None:
                return _closing(request, refused)
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        # Under WSGI a body without Content-Length (chunked) is never read by Django, so it would
        # be silently dropped: refuse it instead of guessing. (runserver passes an empty one.)
        if not request.META.get("CONTENT_LENGTH") and "HTTP_TRANSFER_ENCODING" in request.META:
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


class ResponseSizeGuardMiddleware:
    """Every page is bounded by its view (paged lists, the line view's window of a line), so a page
    past RESPONSE_MAX_BYTES is a bug that some upload found: it answers a short 500 page and one log
    line rather than megabytes to a browser. Streamed responses (report downloads, a raw source line)
    are sent as they are read and pass. A download built whole (the JSON exports) passes too, with a
    warning: refusing it would lose the export, and the memory is spent by then anyway."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.streaming or len(response.content) <= settings.RESPONSE_MAX_BYTES:
            return response
        size = len(response.content)
        if response.get("Content-Disposition", "").startswith("attachment"):
            logger.warning("sent a %s-byte download built whole on %s: it should be streamed", size, request.path)
            return response
        logger.error("refused to send a %s-byte page on %s (limit %s)", size, request.path, settings.RESPONSE_MAX_BYTES)
        refused = HttpResponse(render_to_string("500.html"), status=500)
        refused._has_been_logged = True  # logged above, once
        return refused


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
