"""Who may talk to ``drupe serve``: the bearer token, the ``Host`` and the ``Origin`` checks.

Three different attacks, three checks, all made before a route runs:

* anyone who can reach the port could run pipelines: every endpoint except
  ``GET /health`` wants ``Authorization: Bearer <token>``, compared in
  constant time, and a failure is a bare 401 (no hint of what was wrong);
* a web page the operator visits could post to ``http://127.0.0.1:8000``
  (cross-site request): a browser says where the request comes from in
  ``Origin``, and any origin not allowed with ``--allow-origin`` is a 403;
* a page on a name the attacker controls, re-pointed at 127.0.0.1 (DNS
  rebinding), reaches the server with its own name in ``Host``: a ``Host``
  that is not the bound address (or a name allowed with ``--allow-host``)
  is a 403.

The middleware is plain ASGI (no framework import) so it costs a few
dictionary look-ups per request.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any

import drupe
from drupe_serve.errors import ServeError
from drupe_serve.outputs import dumps

_log = logging.getLogger("drupe_serve")

#: The environment variable holding the token (when no --token-file is given).
TOKEN_ENV = "DRUPE_SERVE_TOKEN"
#: Where a generated token is written, under the project root (mode 0600).
GENERATED_TOKEN_PATH = Path(".drupe") / "serve-token"
#: Paths (and methods) served without a token: load balancers probe them.
OPEN_ROUTES = frozenset({("GET", "/health"), ("HEAD", "/health")})

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_token_file(path: str | os.PathLike[str]) -> str:
    """The token in ``path`` (surrounding whitespace dropped); `drupe.UsageError` if unusable."""
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
        mode = Path(path).stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        raise drupe.UsageError(f"--token-file {path}: cannot be read ({exc})") from None
    check_token(token, f"--token-file {path}")
    if mode & 0o077:
        _log.warning(
            "--token-file %s can be read by other users (mode %o): chmod 600 it", path, mode & 0o777
        )
    return token


def check_token(token: str, where: str) -> None:
    if len(token) < 16 or any(ch.isspace() for ch in token) or not token.isprintable():
        raise drupe.UsageError(
            f"{where}: a token must be at least 16 printable characters without spaces "
            f"(python -c 'import secrets; print(secrets.token_urlsafe(32))' makes one)"
        )


def generate_token(project_root: Path) -> tuple[str, Path]:
    """A new random token, written to ``<project>/.drupe/serve-token`` (owner-only mode)."""
    token = secrets.token_urlsafe(32)
    path = project_root / GENERATED_TOKEN_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask said
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return token, path


def resolve_token(
    *, token_file: str | None, host: str, project_root: Path | None
) -> tuple[str, Path | None]:
    """The token to require and, when one was generated, where it was written.

    ``--token-file`` first, then ``DRUPE_SERVE_TOKEN``; without either a token
    is generated on a loopback address and refused on any other.
    """
    if token_file is not None:
        return read_token_file(token_file), None
    from_env = os.environ.get(TOKEN_ENV)
    if from_env:
        check_token(from_env.strip(), TOKEN_ENV)
        return from_env.strip(), None
    if not is_loopback(host):
        raise drupe.UsageError(
            f"drupe serve will not listen on {host} without a token: give --token-file PATH "
            f"or set {TOKEN_ENV} (only a loopback address gets a generated token)"
        )
    if project_root is None:
        raise ServeError(
            f"no project to keep a generated token in: give --token-file or {TOKEN_ENV}"
        )
    token, path = generate_token(project_root)
    return token, path


def _host_name(header: str) -> str:
    """``example.com:8000`` -> ``example.com``; ``[::1]:8000`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    if header.count(":") == 1:
        return header.partition(":")[0]
    return header


class HostRule:
    """Which ``Host`` headers are accepted: the bound address and the names given."""

    def __init__(self, bound_host: str, allowed: Iterable[str] = ()) -> None:
        names = {_host_name(bound_host)}
        self.wildcard_bind = names <= {"0.0.0.0", "::", ""}
        if is_loopback(bound_host):
            names |= {"localhost", "127.0.0.1", "::1"}
        self.any = False
        self.suffixes: list[str] = []
        for item in allowed:
            item = item.strip().lower()
            if item == "*":
                self.any = True
            elif item.startswith("*."):
                self.suffixes.append(item[1:])
            elif item:
                names.add(_host_name(item))
        self.names = frozenset(names)

    def accepts(self, header: str | None) -> bool:
        if self.any:
            return True
        if not header:
            return False
        name = _host_name(header)
        if name in self.names or any(name.endswith(suffix) for suffix in self.suffixes):
            return True
        if self.wildcard_bind:
            # An IP literal cannot be re-pointed by DNS: rebinding needs a name.
            try:
                ipaddress.ip_address(name)
            except ValueError:
                return False
            return True
        return False


class RequestGuard:
    """ASGI middleware: ``Host``, ``Origin`` and bearer-token checks, in that order.

    Args:
        app: the application behind the checks.
        token: the bearer token every route except ``GET /health`` needs;
            ``None``: no token is asked (an application that mounts the app
            and authenticates itself).
        allow_origins: the ``Origin`` values accepted (``*``: any); a request
            without ``Origin`` (not sent by a browser) is not concerned.
        hosts: the `HostRule`; ``None``: any ``Host``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        allow_origins: Iterable[str] = (),
        hosts: HostRule | None = None,
    ) -> None:
        self.app = app
        self._token = None if token is None else b"Bearer " + token.encode()
        origins = {origin.strip().rstrip("/").lower() for origin in allow_origins}
        self._any_origin = "*" in origins
        self._origins = frozenset(origins - {"*"})
        self._hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = origin = authorization = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"origin":
                origin = value
            elif name == b"authorization":
                authorization = value
        if self._hosts is not None and not self._hosts.accepts(
            host.decode("latin-1") if host is not None else None
        ):
            await _deny(send, 403, "this Host is not served here (see --allow-host)")
            return
        if (
            origin is not None
            and not self._any_origin
            and origin.decode("latin-1").rstrip("/").lower() not in self._origins
        ):
            await _deny(send, 403, "requests from this Origin are refused (see --allow-origin)")
            return
        if (
            self._token is not None
            and (scope["method"], scope["path"]) not in OPEN_ROUTES
            and not (origin is not None and _is_preflight(scope))
            and (authorization is None or not hmac.compare_digest(authorization, self._token))
        ):
            await _deny(send, 401, "unauthorized", {b"www-authenticate": b"Bearer"})
            return
        await self.app(scope, receive, send)


def _is_preflight(scope: Scope) -> bool:
    """A browser's CORS preflight (it never carries credentials; it runs nothing)."""
    return scope["method"] == "OPTIONS" and any(
        name == b"access-control-request-method" for name, _ in scope["headers"]
    )


async def _deny(
    send: Send, status: int, message: str, extra: dict[bytes, bytes] | None = None
) -> None:
    body = dumps({"error": message})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(extra or {}).items(),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
