"""Which keys look secret, and how command lines are masked."""

from __future__ import annotations

import pytest

from drupe_store import MASK, SecretMask
from drupe_store.masking import masked_keys

# (key, masked by the default secret words?)
KEYS = [
    ("api_key", True),
    ("apiKey", True),
    ("APIKey", True),
    ("APIKEY", True),
    ("x-api-key", True),
    ("db.password", True),
    ("DB_PASSWORD", True),
    ("passwd", True),
    ("user passwords", True),
    ("AWS_SECRET_ACCESS_KEY", True),
    ("clientSecret", True),
    ("GITHUB_TOKEN", True),
    ("token2", True),
    ("refresh-token", True),
    ("credentials_path", True),
    ("gcpCredential", True),
    ("private.key", True),
    ("monkey", False),
    ("turkey", False),
    ("keyboard_layout", False),
    ("keyboardLayout", False),
    ("tokenizer", False),
    ("max_tokens", False),
    ("sort_keys", False),
    ("secretary", False),
    ("passwordless_login_enabled", False),
    ("learning_rate", False),
]


@pytest.mark.parametrize(("key", "secret"), KEYS)
def test_keys_are_masked_when_one_of_their_words_is_a_secret_word(key: str, secret: bool) -> None:
    assert SecretMask().is_secret(key) is secret
    assert SecretMask().params({key: "v"}) == {key: MASK if secret else "v"}


def test_configured_words_match_whole_words_and_phrases_match_words_in_a_row() -> None:
    mask = SecretMask(["pin", "access_id", "DSN"])
    assert mask.is_secret("user_PIN")
    assert mask.is_secret("userPin")
    assert not mask.is_secret("spinner")
    assert not mask.is_secret("pinned")
    assert mask.is_secret("aws.accessId")
    assert mask.is_secret("AWS_ACCESS_ID_2")
    assert not mask.is_secret("access_token_id")  # "access" and "id" not in a row
    assert mask.is_secret("postgresDsn")


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
