"""Nothing is parsed before it is allowed: anonymous and oversized bodies are refused from the headers."""

import contextlib
import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import OUTPUT_DIR, ROOT, _free_port, _stop, _wait_for_port
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

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert body.read_bytes == 0


@pytest.mark.django_db
def test_an_anonymous_login_may_post_a_small_form_but_not_a_large_body(settings):
    small, small_body = _post(Client(), "/accounts/login/", 200, CONTENT_TYPE="application/x-www-form-urlencoded")
    large, large_body = _post(Client(), "/accounts/login/", settings.ANONYMOUS_REQUEST_MAX_BYTES + 1)

    assert small.status_code in (200, 403)
    assert small_body.read_bytes == 200
    assert large.status_code == 413
    assert large_body.read_bytes == 0


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


class Server:
    """`make run`'s runserver or the Procfile's gunicorn, in its own process on a free port,
    sharing the test database."""

    COMMANDS = {
        "runserver": lambda port: [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        "gunicorn": lambda port: [
            str(Path(sys.executable).parent / "gunicorn"),
            "zemoga_datasets.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
    }

    def __init__(self, kind: str):
        self.port = _free_port()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zemoga_datasets.settings.test"}
        database = django_settings.DATABASES["default"]
        if database["ENGINE"].endswith("sqlite3"):
            env["TEST_DATABASE_URL"] = f"sqlite:///{database['NAME']}"
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        self.log = (OUTPUT_DIR / f"{kind}-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            self.COMMANDS[kind](self.port), cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        _wait_for_port(self.port, self.process, kind)

    def exchange(self, head: str, body: bytes = b"") -> tuple[int, bytes, bool]:
        """Sends a raw request; the status, the head of the answer, and whether the server then closed."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(head.encode() + b"\r\n" + body)
            answer = b""
            while b"\r\n\r\n" not in answer:
                received = sock.recv(65536)
                if not received:
                    break
                answer += received
            sock.settimeout(5)
            closed = False
            with contextlib.suppress(TimeoutError, ConnectionResetError):
                while received := sock.recv(65536):
                    answer += received
                closed = True
        return int(answer.split(b" ", 2)[1]), answer.split(b"\r\n\r\n", 1)[0], closed

    def stop(self) -> None:
        _stop(self.process)
        self.log.close()


@pytest.fixture(params=["runserver", "gunicorn"])
def server(request):
    started = Server(request.param)
    yield started
    started.stop()


@pytest.mark.django_db(transaction=True)
def test_the_guards_answer_413_and_411_on_runserver_and_on_gunicorn(server, settings):
    # given a steward's session, in the database both servers read
    client = Client()
    client.force_login(get_user_model().objects.create_user(username="steward", password="pw-for-tests-only"))
    cookie = f"Cookie: {settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}\r\n"
    host = f"Host: 127.0.0.1:{server.port}\r\n"
    too_large = settings.UPLOAD_REQUEST_MAX_BYTES + 1

    # when a logged-in body over the limit, an anonymous one over its own, and chunked ones are posted
    logged_in = server.exchange(
        f"POST / HTTP/1.1\r\n{host}{cookie}Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {too_large}\r\n",
        b"\0" * 1024,
    )
    anonymous = server.exchange(
        f"POST /accounts/login/ HTTP/1.1\r\n{host}Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {settings.ANONYMOUS_REQUEST_MAX_BYTES + 1}\r\n",
        b"a" * 1024,
    )
    chunked = server.exchange(
        f"POST / HTTP/1.1\r\n{host}{cookie}Content-Type: application/x-www-form-urlencoded\r\n"
        "Transfer-Encoding: chunked\r\n",
        b"5\r\nhello\r\n0\r\n\r\n",
    )
    anonymous_chunked = server.exchange(
        f"POST / HTTP/1.1\r\n{host}Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n"
    )

    # then each is refused from its headers, with its own status, and the connection is closed after it
    # (runserver first reads the rest of a declared body; a chunked body it cannot read: it closes at once)
    assert [logged_in[0], anonymous[0], chunked[0], anonymous_chunked[0]] == [413, 413, 411, 411], server.log.name
    assert all(b"\r\nconnection: close" in answer[1].lower() for answer in (logged_in, anonymous, chunked))
    assert chunked[2]
    assert anonymous_chunked[2]
    assert b"Upload too large" not in logged_in[1]  # only the head was kept; the page is the 413 one
    assert "Traceback" not in Path(server.log.name).read_text(errors="replace")


def test_a_page_past_the_response_limit_is_refused_and_logged_but_downloads_pass(steward, settings, caplog):
    client = Client()
    client.force_login(steward)
    settings.RESPONSE_MAX_BYTES = 2_000

    page = client.get("/help/anomalies/")  # tens of KB of HTML
    download = client.get("/help/templates/columns.csv")  # small, under the limit
    settings.RESPONSE_MAX_BYTES = 10
    attachment = client.get("/help/templates/columns.csv")  # a download built whole, past the limit

    assert page.status_code == 500
    assert b"Something went wrong" in page.content
    assert len(page.content) < 2_000
    assert "refused to send a" in caplog.text
    assert "/help/anomalies/" in caplog.text
    assert download.status_code == 200
    assert attachment.status_code == 200
    assert attachment.content.startswith(b"column_id,")
    assert "should be streamed" in caplog.text
