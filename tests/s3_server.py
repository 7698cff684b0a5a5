"""A real S3-compatible server over HTTP on loopback for the object-storage tests.

moto's server mode (`python -m moto.server`) runs in its own process, so the code under test
talks to it exactly as to any S3 endpoint: through s3fs/botocore, over HTTP. Each test makes
its own bucket (`new_bucket`), so tests never see each other's objects.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class S3Server:
    """Where the server listens and the environment a client needs to reach it."""

    endpoint_url: str

    @property
    def env(self) -> dict[str, str]:
        """Variables for a loglake process (or this one) to use the server."""
        return {
            "LOGLAKE_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self) -> Any:  # a boto3 client (boto3 ships no annotations)
        """A boto3 client for the test's own setup (creating buckets, putting objects)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    def new_bucket(self) -> str:
        """Create an empty bucket with a unique name and return the name."""
        name = f"t-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_s3_server() -> Iterator[S3Server]:
    """Start `moto.server` on a free loopback port; stop it on exit."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the S3 test server (moto) did not start") from None
                time.sleep(0.1)
        yield S3Server(url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
