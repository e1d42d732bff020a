"""A real S3-compatible server for the dataset tests: moto's server mode on 127.0.0.1.

The server runs in a thread of the test process on a port the OS picks, so
`drupe run` subprocesses reach it too. No AWS account, no network.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

#: Never a real credential: the tests check this value never reaches the session store.
SECRET = "moto-secret-8f3b1c9e"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_credentials(s3_endpoint: str) -> dict[str, Any]:
    """Storage options for s3fs, as they would be written in conf/local/credentials.yml."""
    return {
        "key": "testing-key",
        "secret": SECRET,
        "client_kwargs": {"endpoint_url": s3_endpoint, "region_name": "us-east-1"},
    }


@pytest.fixture
def bucket(s3_credentials: dict[str, Any]) -> str:
    """A fresh, empty bucket for one test."""
    import boto3

    name = f"drupe-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        aws_access_key_id=s3_credentials["key"],
        aws_secret_access_key=s3_credentials["secret"],
        **s3_credentials["client_kwargs"],
    )
    client.create_bucket(Bucket=name)
    return name
