"""Nothing is parsed before it is allowed: anonymous and oversized bodies are refused from the headers."""

import contextlib
import io
import socket
from pathlib import Path

import pytest
from django.test import Client

from uploads.models import Dataset

MIB = 1024 * 1024


class CountingBody(io.RawIOBase):
    """A request body of `size` zero bytes, produced only as it is read, counting what was read."""

    def __init__(self, size: int):
        self.size = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.size - self.read_bytes)
        buffer[:count] = b"\0" * count
        self.read_bytes += count
        return count


def _post(client: Client, path: str, size: int, **headers):
    body = CountingBody(size)
    environ = {
        "wsgi.input": body,
        "CONTENT_LENGTH": str(size),
        "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
        **headers,
    }
    response = client.generic("POST", path, **environ)
    return response, body


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/datasets/00000000-0000-0000-0000-000000000000/delete/", "/nowhere/"])
def test_an_anonymous_post_is_sent_to_the_login_page_unread(path):
    response, body = _post(Client(), path, 640 * MIB)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert body.read_bytes == 0


@pytest.mark.django_db
def test_an_anonymous_login_may_post_a_small_form_but_not_a_large_body(settings):
    small, small_body = _post(Client(), "/accounts/login/", 200, CONTENT_TYPE="application/x-www-form-urlencoded")
    large, large_body = _post(Client(), "/accounts/login/", settings.ANONYMOUS_REQUEST_MAX_BYTES + 1)

    assert small.status_code in (200, 403) and small_body.read_bytes == 200  # read: CSRF then refuses it
    assert large.status_code == 413 and large_body.read_bytes == 0


def test_a_logged_in_body_over_the_limit_is_refused_with_a_page_unread(steward, settings):
    settings.UPLOAD_REQUEST_MAX_BYTES = 10 * MIB
    client = Client()
    client.force_login(steward)

    response, body = _post(client, "/", 10 * MIB + 1)

    assert response.status_code == 413
    assert "Upload too large" in response.content.decode()
    assert body.read_bytes == 0
    assert not Dataset.objects.exists()


def test_a_body_without_content_length_is_refused(steward):
    client = Client()
    client.force_login(steward)

    response = client.generic("POST", "/", HTTP_TRANSFER_ENCODING="chunked", wsgi_input=None)

    assert response.status_code == 411


def _temporary_files(folder: Path) -> list[int]:
    return [path.stat().st_size for path in folder.rglob("*") if path.is_file()]


@pytest.mark.django_db(transaction=True)
def test_an_anonymous_640_mib_post_to_a_real_server_leaves_no_temporary_file(live_server, settings, tmp_path):
    """Streams the body over a socket while the server answers; nothing lands in the upload temp folder."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    host, port = live_server.thread.host, live_server.thread.port
    declared = 640 * MIB
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(
            (
                f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary=xyz\r\n"
                f"Content-Length: {declared}\r\n\r\n"
            ).encode()
        )
        sent, chunk = 0, b"\0" * MIB
        answer = b""
        sock.settimeout(0.05)
        # Keep sending (up to 32 MiB) until the server answers; it must answer long before the end.
        while sent < 32 * MIB and not answer:
            try:
                sock.sendall(chunk)
                sent += len(chunk)
            except OSError:
                break
            with contextlib.suppress(TimeoutError):
                answer = sock.recv(4096)
        sock.settimeout(10)
        while b"\r\n\r\n" not in answer:
            received = sock.recv(4096)
            if not received:
                break
            answer += received

    assert answer.startswith(b"HTTP/1.1 302"), answer[:100]
    assert b"Location: /accounts/login/" in answer
    assert sum(_temporary_files(tmp_path)) == 0
