"""`drupe.SecretScrubber`: secrets replaced by value, in text, records and exception chains."""

from __future__ import annotations

import traceback

import drupe
from drupe.secrets import MASK, MIN_LENGTH


def test_text_and_data_replace_every_occurrence_longest_first() -> None:
    scrubber = drupe.SecretScrubber(["hunter22", "hunter22-extra", None, ""])
    assert scrubber.text("a hunter22 b hunter22-extra") == f"a {MASK} b {MASK}"
    record = {"msg": "pw=hunter22", "list": ["hunter22", 3], "hunter22": True}
    assert scrubber.data(record) == {"msg": f"pw={MASK}", "list": [MASK, 3], MASK: True}


def test_short_values_are_replaced_only_when_they_stand_alone() -> None:
    short = "x" * (MIN_LENGTH - 1)
    scrubber = drupe.SecretScrubber([short, 1234])
    assert scrubber.data({"password": short, "pin": 1234}) == {"password": MASK, "pin": MASK}
    assert scrubber.text(f"the {short}ylophone") == f"the {short}ylophone"
    assert scrubber.text("pin 1234 given") == f"pin {MASK} given"


def test_exception_chains_are_scrubbed_in_place() -> None:
    secret = "s3cr3t" + "-pa55"  # built, so the traceback's source lines do not hold it
    scrubber = drupe.SecretScrubber([secret])
    try:
        try:
            raise ConnectionError(f"postgres://app:{secret}@db")
        except ConnectionError as inner:
            raise RuntimeError("dataset failed", {"dsn": secret}) from inner
    except RuntimeError as error:
        error.add_note(f"while connecting with {secret}")
        scrubber.exception(error)
        shown = "".join(traceback.format_exception(error))
    assert secret not in shown
    assert "postgres://app:***@db" in shown and "while connecting with ***" in shown


def test_an_empty_scrubber_changes_nothing() -> None:
    scrubber = drupe.SecretScrubber()
    assert not scrubber
    error = ValueError("nothing secret")
    scrubber.exception(error)
    assert error.args == ("nothing secret",)
