"""The functions of the hello pipeline: plain Python, no drupe import needed."""

from __future__ import annotations


def make_greeting(greeting: str, name: str) -> str:
    """Build the greeting from two parameters."""
    return f"{greeting}, {name}"


def shout(message: str, times: int) -> str:
    """Make the greeting louder, ``times`` exclamation marks loud."""
    return message.upper() + "!" * times


def measure(message: str) -> dict[str, int]:
    """Summarise the final message."""
    return {"characters": len(message), "words": len(message.split())}
