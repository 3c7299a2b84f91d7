"""A small httpx client of the API's version 1; each method is one operation of its schema."""

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

FILES = ("namespaces", "datapoints", "columns")
# Retries of a request that got no answer or a 502/503/504 (creates carry one Idempotency-Key,
# so a retry returns the first dataset or version rather than making a second).
RETRIES = 3


class ApiError(Exception):
    def __init__(self, status: int, detail: str, code: str = ""):
        super().__init__(detail)
        self.status, self.detail, self.code = status, detail, code


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
        if response.is_error:
            try:
                body = response.json()
                detail, code = body.get("detail", response.text), body.get("code", "")
                for error in body.get("errors") or []:
                    detail += f"\n  {'.'.join(str(part) for part in error.get('loc', []))}: {error.get('msg')}"
            except ValueError:
                detail, code = response.text[:500] or response.reason_phrase, ""
            raise ApiError(response.status_code, detail, code)
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

    def datasets(self, *, name: str | None = None) -> Iterator[dict]:
        page = 1
        while True:
            params = {"page": page, **({"name": name} if name else {})}
            body = self._request("GET", "/datasets", params=params).json()
            yield from body["items"]
            if page >= body["pages"]:
                return
            page += 1

    def version(self, version_id: str) -> dict:
        return self._request("GET", f"/versions/{version_id}").json()

    def anomalies(self, version_id: str, **filters: str | None) -> Iterator[dict]:
        page = 1
        while True:
            params = {"page": page, **{k: v for k, v in filters.items() if v}}
            body = self._request("GET", f"/versions/{version_id}/anomalies", params=params).json()
            yield from body["items"]
            if page >= body["pages"]:
                return
            page += 1

    def export(self, dataset_id: str, **selection: str | None) -> dict:
        params = {k: v for k, v in selection.items() if v}
        return self._request("GET", f"/datasets/{dataset_id}/export", params=params).json()
