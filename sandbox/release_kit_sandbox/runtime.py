"""``Sandbox``: the GitHub emulator and a moto server side by side, on loopback by default."""

from __future__ import annotations

import logging
import urllib.request
from typing import Any

from release_kit_sandbox import ecr
from release_kit_sandbox.github.server import GitHubEmulator

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


class Sandbox:
    """GitHub emulator + moto ``ThreadedMotoServer``; use as a context manager or start/stop.

    moto's ECR answers GetDownloadUrlForLayer here (``sandbox.ecr``), as promote-image needs.

    :meth:`env` gives the variables a subprocess needs to reach both (``GITHUB_API_URL``,
    ``GITHUB_SERVER_URL``, ``GITHUB_TOKEN``, ``AWS_ENDPOINT_URL`` and dummy AWS credentials).
    ``host`` is the address both listen on and the one their URLs name: loopback by default; a
    Docker bridge's gateway address for clients in containers on that bridge.
    """

    def __init__(self, *, aws: bool = True, github_port: int = 0, aws_port: int = 0,
                 host: str = "127.0.0.1") -> None:
        self.host = host
        self.github = GitHubEmulator(host=host, port=github_port)
        self._aws_enabled = aws
        self._aws_port = aws_port
        self._moto: Any = None
        self._downloads: ecr.LayerDownloads | None = None

    def start(self) -> Sandbox:
        self.github.start()
        if self._aws_enabled and self._moto is None:
            from moto.server import ThreadedMotoServer  # noqa: PLC0415 - heavy import

            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
            self._moto = ThreadedMotoServer(ip_address=self.host, port=self._aws_port,
                                            verbose=False)
            self._moto.start()
            self._downloads = ecr.LayerDownloads(self.host).start()
            ecr.install(self._downloads)
        return self

    def stop(self) -> None:
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self._downloads is not None:
            ecr.uninstall(self._downloads)
            self._downloads.stop()
            self._downloads = None
        self.github.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def aws_endpoint(self) -> str:
        """moto's URL (``AWS_ENDPOINT_URL``)."""
        if self._moto is None:
            raise RuntimeError("AWS (moto) is not running in this sandbox")
        host, port = self._moto.get_host_and_port()
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Clear GitHub state and moto state (``POST /moto-api/reset``); servers keep running."""
        self.github.reset()
        if self._moto is not None:
            request = urllib.request.Request(
                f"{self.aws_endpoint}/moto-api/reset", method="POST", data=b""
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()

    def env(self, token: str | None = None) -> dict[str, str]:
        """Environment variables for a subprocess talking to this sandbox."""
        env = {
            "GITHUB_API_URL": self.github.url,
            "GITHUB_SERVER_URL": self.github.server_url,
            "GITHUB_TOKEN": token or self.github.default_token,
            # A local emulator: GitHub's one second between writes only slows it down.
            "RELEASE_KIT_GITHUB_WRITE_SPACING": "0",
        }
        if self._moto is not None:
            env["AWS_ENDPOINT_URL"] = self.aws_endpoint
            env.update(AWS_ENV)
        return env
