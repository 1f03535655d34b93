"""A small GitHub REST client for the CI scripts (stdlib only: runners need nothing installed).

Reads ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` (owner/name) and ``GITHUB_API_URL`` (default
https://api.github.com; the tests point it at a local fake) from the environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

COMMENT_LIMIT = 65_536
"""GitHub refuses issue and comment bodies longer than this (characters)."""


class GitHubError(RuntimeError):
    def __init__(self, status: int, method: str, path: str, message: str) -> None:
        super().__init__(f"GitHub API {method} {path}: {status} {message}")
        self.status = status


def fit(body: str, limit: int = COMMENT_LIMIT) -> str:
    """``body`` cut to GitHub's limit (with a note) when it is longer."""
    if len(body) <= limit:
        return body
    note = "\n\n_… cut to fit GitHub's limit of 65,536 characters._\n"
    return body[: limit - len(note)] + note


class GitHub:
    def __init__(self, repo: str | None = None, token: str | None = None,
                 api_url: str | None = None, timeout: float = 30.0) -> None:
        self.repo = repo or os.environ.get("GITHUB_REPOSITORY", "")
        self.token = token if token is not None else os.environ.get("GITHUB_TOKEN", "")
        self.api = (api_url or os.environ.get("GITHUB_API_URL")
                    or "https://api.github.com").rstrip("/")
        self.timeout = timeout
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", self.repo):
            raise SystemExit("GITHUB_REPOSITORY must be owner/name")
        if not self.token:
            raise SystemExit("GITHUB_TOKEN is not set")

    def request(self, method: str, path: str, body: Any = None,
                params: dict[str, Any] | None = None) -> tuple[Any, dict[str, str]]:
        url = path if path.startswith("http") else f"{self.api}{path}"
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "sagectl-ci",
            **({"Content-Type": "application/json"} if data is not None else {}),
        })
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
                headers = {k.lower(): v for k, v in resp.headers.items()}
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            with contextlib.suppress(ValueError, AttributeError):
                detail = json.loads(detail).get("message", detail)
            raise GitHubError(err.code, method, path, str(detail)[:500]) from None
        return (json.loads(raw) if raw else None), headers

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        url: str | None = path
        query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
        while url:
            page, headers = self.request("GET", url, params=query)
            yield from page or []
            found = re.search(r'<([^>]+)>;\s*rel="next"', headers.get("link", ""))
            url, query = (found.group(1), None) if found else (None, None)

    def repo_path(self, rest: str) -> str:
        return f"/repos/{self.repo}{rest}"


def write_outputs(**values: object) -> None:
    """Append ``name=value`` lines to ``$GITHUB_OUTPUT`` when running in a workflow."""
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            for name, value in values.items():
                out.write(f"{name}={value}\n")
