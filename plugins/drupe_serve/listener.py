"""The listening socket of ``drupe serve``, bound before anything else starts.

Binding first turns "the port is taken" into one line, before a session is
opened or uvicorn logs anything. The bound socket is then handed to uvicorn,
so no other process can take the port between the check and the server
start: there is no window for a race.
"""

from __future__ import annotations

import errno
import socket
import sys

from drupe_serve.errors import ServeError


def bind_listener(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (not yet listening), or `ServeError` saying why not.

    The address family follows uvicorn's own rule (IPv6 when the host has a
    colon), and so does ``SO_REUSEADDR``, which lets a restarted server reuse
    a port in TIME_WAIT but never one another process listens on.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise listen_error(host, port, exc) from exc
    sock.set_inheritable(True)
    return sock


def listen_error(host: str, port: int, exc: OSError) -> ServeError:
    """The one-line error for a failure to listen on ``host:port``."""
    if exc.errno == errno.EADDRINUSE:
        return ServeError(f"port {port} on {host} is already in use: choose another with --port")
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return ServeError(
            f"cannot listen on {host}: it is not an address of this machine ({exc.strerror}); "
            f"choose another with --host"
        )
    if exc.errno == errno.EACCES:
        return ServeError(
            f"no permission to listen on port {port} on {host}: choose a port above 1023 "
            f"with --port"
        )
    return ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
