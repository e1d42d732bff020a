"""Fixtures of the serve tests (defined in serve_helpers.py, which the tests also import)."""

from serve_helpers import hello_project, start_server

__all__ = ["hello_project", "start_server"]
