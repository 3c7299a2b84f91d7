"""Security headers on every page: a Content-Security-Policy without inline script or style."""

import re

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("steward_client")
def test_pages_carry_a_strict_content_security_policy(client):
    for url in ("/", "/accounts/login/", "/healthz"):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"


INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),  # inline script
    re.compile(r"<style\b", re.IGNORECASE),  # inline style sheet
    re.compile(r"\sstyle\s*=", re.IGNORECASE),  # style attribute (SVG included)
    re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),  # event handler attribute
    re.compile(r"javascript:", re.IGNORECASE),
]


def test_no_template_holds_inline_script_or_style():
    offenders = [
        f"{path.relative_to(ROOT)}: {pattern.pattern}"
        for path in (ROOT / "templates").rglob("*.html")
        for pattern in INLINE
        if pattern.search(path.read_text(encoding="utf-8"))
    ]

    assert offenders == []
