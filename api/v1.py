"""The REST API, version 1 (django-ninja): what the pages do, for scripts. This module holds the
API object, who may call it and the JSON errors; the operations are in `api/operations/`, thin:
they load through the pages' access rule (`uploads.views.access`), validate uploads with the
pages' forms, and call the services and selectors."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from api.operations import datasets, records, triage, webhooks


class BearerToken(HttpBearer):
    """The token was checked by `ApiRequestMiddleware`, before the body was read."""

    def authenticate(self, request, token):
        return getattr(request, "api_token", None)


class Session(APIKeyCookie):
    """A logged-in browser (the docs page): the session cookie, and the CSRF token on writes."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request, key):
        return request.user if getattr(request, "api_token", None) is None and request.user.is_authenticated else None


api = NinjaAPI(
    title="zemoga datasets API",
    version="1",
    description="Datasets, versions, anomalies, triage and fixes, reports, browse, search and export. See docs/api.md.",
    urls_namespace="api-v1",
    auth=[BearerToken(), Session()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


# --- Errors: a JSON body for every 4xx -------------------------------------------------------


def _error(request, status: int, detail: str, code: str, errors=None) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code, "errors": errors}, status=status)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors = [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", "invalid"))}
        for error in exc.errors
    ]
    return _error(request, 422, "The request is not valid; see `errors`.", "invalid", errors)


@api.exception_handler(Http404)
def _not_found(request, exc: Http404):
    return _error(request, 404, str(exc) or "Not found.", "not_found")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc: PermissionDenied):
    return _error(request, 403, str(exc) or "Not allowed.", "forbidden")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(request, 401, "Authentication required: send `Authorization: Bearer <token>`.", "unauthenticated")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    codes = {
        400: "bad_request",
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        422: "invalid",
        429: "throttled",
    }
    return _error(request, exc.status_code, str(exc), codes.get(exc.status_code, "error"))


@api.exception_handler(MultiPartParserError)
@api.exception_handler(SuspiciousOperation)
def _bad_body(request, exc):
    return _error(request, 400, f"The request body could not be read ({exc}).", "bad_request")


api.add_router("", datasets.router)
api.add_router("", records.router)
api.add_router("", triage.router)
api.add_router("", webhooks.router)
