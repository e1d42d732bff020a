"""Which keys look secret, and how command lines are masked."""

from __future__ import annotations

from drupe_store import MASK, SecretMask
from drupe_store.masking import masked_keys


def test_keys_that_look_secret_are_masked_recursively_and_others_kept() -> None:
    mask = SecretMask()
    value = {
        "Password": "a",
        "credentials_path": "b",
        "nested": [{"apiKey": "c", "size": 3}],
        "learning_rate": 0.1,
        "tags": ("x", "y"),
    }
    assert mask.params(value) == {
        "Password": MASK,
        "credentials_path": MASK,
        "nested": [{"apiKey": MASK, "size": 3}],
        "learning_rate": 0.1,
        "tags": ["x", "y"],
    }


def test_extra_fragments_add_to_the_defaults() -> None:
    mask = SecretMask(["password", "pin"])
    assert mask.is_secret("user_PIN")
    assert mask.is_secret("password")
    assert not mask.is_secret("token")


def test_command_lines_are_masked_in_every_spelling() -> None:
    mask = SecretMask()
    argv = [
        "run",
        "--params",
        "lr=0.1,db.password=hunter2,name=x",
        "--params=api_token=abc",
        "--token",
        "s3cr3t",
        "--api-key=k",
        "--env",
        "prod",
    ]
    assert mask.args(argv) == [
        "run",
        "--params",
        f"lr=0.1,db.password={MASK},name=x",
        f"--params=api_token={MASK}",
        "--token",
        MASK,
        f"--api-key={MASK}",
        "--env",
        "prod",
    ]


def test_masked_keys_name_what_a_rerun_must_be_given_again() -> None:
    assert masked_keys({"a": 1, "db": {"password": MASK}, "token": MASK}) == [
        "db.password",
        "token",
    ]
