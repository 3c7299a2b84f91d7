"""`manage.py check --deploy` (`make check-deploy`): the API's throttles need a cache that every web
process shares, or each process counts alone and a token gets its limit once per process."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, Tags.caches, deploy=True)
def throttle_cache_shared(app_configs, **kwargs) -> list[Warning]:
    if settings.CACHE_KIND != "locmem":
        return []
    return [
        Warning(
            "CACHE_URL=locmem: each web process counts the API's throttles on its own, so a token gets "
            "API_REQUESTS_PER_MINUTE once per gunicorn worker and web task.",
            hint="Set CACHE_URL to redis://HOST:PORT/DB or db (docs/production.md).",
            id="api.W001",
        )
    ]
