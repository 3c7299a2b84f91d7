"""A small httpx client of the API's version 1; each method is one operation of its schema."""

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import httpx

FILES = ("namespaces", "datapoints", "columns")
# Retries of a request that got no answer or a 502/503/504 (creates carry one Idempotency-Key,
# so a retry returns the first dataset or version rather than making a second).
RETRIES = 3


class ApiError(Exception):
    def __init__(self, status: int, detail: str, code: str = ""):
        super().__init__(detail)
        self.status, self.detail, self.code = status, detail, code


def _raise_for(response: httpx.Response) -> None:
    """An error answer as an `ApiError`: its sentence, then which field and why (on 422)."""
    if not response.is_error:
        return
    try:
        body = response.json()
        detail, code = body.get("detail", response.text), body.get("code", "")
        for error in body.get("errors") or []:
            detail += f"\n  {'.'.join(str(part) for part in error.get('loc', []))}: {error.get('msg')}"
    except ValueError:
        detail, code = response.text[:500] or response.reason_phrase, ""
    raise ApiError(response.status_code, detail, code)


def _filename(response: httpx.Response) -> str:
    """The file name the server gave in Content-Disposition (its last path part only)."""
    found = re.search(r'filename="([^"]+)"', response.headers.get("content-disposition", ""))
    return Path(found.group(1)).name if found else ""


class Client:
    def __init__(self, url: str, token: str, *, timeout: float = 60.0, **options):
        self.http = httpx.Client(
            base_url=url.rstrip("/") + "/api/v1",
            headers={"Authorization": f"Bearer {token}", "User-Agent": "zemoga-datasets-client/0.1"},
            timeout=timeout,
            **options,
        )

    def close(self) -> None:
        self.http.close()

    def _request(self, method: str, path: str, rewind=None, **kwargs) -> httpx.Response:
        for attempt in range(RETRIES):
            if rewind is not None:
                rewind()  # a retried upload sends its files from the start again
            try:
                response = self.http.request(method, path, **kwargs)
            except httpx.TransportError:
                if attempt == RETRIES - 1:
                    raise
            else:
                if response.status_code not in (502, 503, 504) or attempt == RETRIES - 1:
                    break
            time.sleep(1 + attempt)
        _raise_for(response)
        return response

    def _upload(self, path: str, data: dict, paths: dict[str, Path | None]) -> dict:
        handles = {field: open(path, "rb") for field, path in paths.items() if path is not None}  # noqa: SIM115
        try:
            files = {field: (Path(handle.name).name, handle) for field, handle in handles.items()}
            headers = {"Idempotency-Key": str(uuid.uuid4())}

            def rewind() -> None:
                for handle in handles.values():
                    handle.seek(0)

            return self._request("POST", path, rewind=rewind, data=data, files=files, headers=headers).json()
        finally:
            for handle in handles.values():
                handle.close()

    def dataset_create(self, *, name: str, files: dict[str, Path | None]) -> dict:
        return self._upload("/datasets", {"name": name}, files)

    def version_create(self, *, dataset_id: str, files: dict[str, Path | None]) -> dict:
        return self._upload(f"/datasets/{dataset_id}/versions", {}, files)

    def _pages(self, path: str, params: dict) -> Iterator[dict]:
        page = 1
        while True:
            body = self._request("GET", path, params={"page": page, **params}).json()
            yield from body["items"]
            if page >= body["pages"]:
                return
            page += 1

    def datasets(self, *, name: str | None = None) -> Iterator[dict]:
        return self._pages("/datasets", {"name": name} if name else {})

    def version(self, version_id: str) -> dict:
        return self._request("GET", f"/versions/{version_id}").json()

    def anomalies(self, version_id: str, **filters: str | None) -> Iterator[dict]:
        return self._pages(f"/versions/{version_id}/anomalies", {k: v for k, v in filters.items() if v})

    def anomaly_groups(self, version_id: str, **filters: str | None) -> Iterator[dict]:
        return self._pages(f"/versions/{version_id}/anomaly-groups", {k: v for k, v in filters.items() if v})

    def acceptance_create(self, dataset_id: str, **chosen: str | None) -> dict:
        """Accepts a group (`scope="group"`, file, code, field, value) or one anomaly
        (`scope="anomaly"`, file, code, fingerprint), with a `note` and an `until` day (YYYY-MM-DD)."""
        body = {k: v for k, v in chosen.items() if v is not None}
        return self._request("POST", f"/datasets/{dataset_id}/acceptances", json=body).json()

    def acceptances(self, dataset_id: str) -> Iterator[dict]:
        return self._pages(f"/datasets/{dataset_id}/acceptances", {})

    def acceptance_delete(self, dataset_id: str, fingerprint: str) -> None:
        self._request("DELETE", f"/datasets/{dataset_id}/acceptances/{fingerprint}")

    def fixes_download(self, version_id: str, groups: list[str]) -> tuple[str, bytes]:
        """The corrected file (CSV) or files (ZIP) of the groups' fixes: (the server's file name, content)."""
        response = self._request("POST", f"/versions/{version_id}/fixes", json={"groups": groups})
        return _filename(response), response.content

    def version_from_fixes(self, version_id: str, groups: list[str]) -> dict:
        """A new version from the groups' fixes (sent with one Idempotency-Key, so a retry makes no second one)."""
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        body = {"groups": groups, "make_version": True}
        return self._request("POST", f"/versions/{version_id}/fixes", json=body, headers=headers).json()

    def rejected(self, version_id: str, file: str, out: BinaryIO) -> str:
        """Streams the rejected rows CSV of `file` into `out`; returns the server's file name."""
        with self.http.stream("GET", f"/versions/{version_id}/rejected/{file}") as response:
            if response.is_error:
                response.read()
                _raise_for(response)
            for chunk in response.iter_bytes():
                out.write(chunk)
            return _filename(response)

    def export(self, dataset_id: str, **selection: str | None) -> dict:
        params = {k: v for k, v in selection.items() if v}
        return self._request("GET", f"/datasets/{dataset_id}/export", params=params).json()
