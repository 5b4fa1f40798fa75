"""How the CLI reaches the running daemon: its operator listener, with the API key."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from recado.config import ConfigError, load_config
from recado.daemon.local_keys import read_local_api_key
from recado.daemon.runtime_file import read_runtime


class CliError(Exception):
    """A failure to report in one line and exit 1."""


@dataclass
class OperatorClient:
    base_url: str
    api_key: str | None
    timeout_s: float = 30.0

    @classmethod
    def from_config(cls, config_path: Path) -> OperatorClient:
        try:
            cfg = load_config(config_path)
        except ConfigError as exc:
            raise CliError(f"cannot use {config_path}:\n" + "\n".join(exc.problems)) from exc
        data_dir = cfg.daemon.data_path
        url = os.environ.get("RECADO_OPERATOR_URL")
        if not url:
            runtime = read_runtime(data_dir)
            url = runtime["operator"] if runtime else f"http://{cfg.http.operator_listen}"
        key = cfg.security.api_key or read_local_api_key(data_dir)
        return cls(url.rstrip("/"), key)

    def request(self, method: str, path: str, json: Any = None) -> Any:
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["X-API-Key"] = self.api_key
        try:
            response = httpx.request(
                method, self.base_url + path, json=json, headers=headers, timeout=self.timeout_s
            )
        except httpx.ConnectError as exc:
            raise CliError(
                f"cannot reach the daemon at {self.base_url} ({exc}); is `recado run` running?"
            ) from exc
        except httpx.HTTPError as exc:
            raise CliError(f"request to {self.base_url}{path} failed: {exc}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {"detail": response.text}
        if response.status_code >= 400:
            detail = body.get("detail") if isinstance(body, dict) else None
            code = body.get("error") if isinstance(body, dict) else None
            raise CliError(
                f"{response.status_code} {code or ''}: {detail or response.text}".strip()
            )
        return body

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, json: Any = None) -> Any:
        return self.request("POST", path, json if json is not None else {})


def fail(message: str) -> int:
    print(f"recado: {message}", file=sys.stderr)
    return 1
