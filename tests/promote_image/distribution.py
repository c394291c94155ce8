"""A real OCI registry for the tests and the benchmark: Debian's ``docker-registry`` (the CNCF
distribution registry, 2.8) on a free loopback port, with a generated config.

Three kinds: no authentication; htpasswd basic auth (the file written with apache2-utils'
``htpasswd``); and bearer tokens from ``TokenServer``, a small token service written here, whose
signing certificate the registry's ``auth: token:`` config trusts. Images are pushed through the
registry API by ``push`` (monolithic blob uploads, children before indexes), and checked with
``skopeo``. Missing tools are a test failure that says how to install them.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import json
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from release_kit.registry.manifests import Manifest
from tests.promote_image.images import SampleImage

TOOLS = {"docker-registry": "docker-registry", "skopeo": "skopeo", "htpasswd": "apache2-utils"}


class ToolMissing(RuntimeError):
    pass


def require(tool: str) -> str:
    """The tool's path; a clear failure naming the Debian package when it is missing."""
    path = shutil.which(tool)
    if not path:
        raise ToolMissing(
            f"`{tool}` is not installed: these tests run a real registry. Install it with "
            f"`apt-get install {TOOLS[tool]}` (.ci/run installs docker-registry, skopeo and "
            "apache2-utils when they are missing).")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """A bearer token service as a registry expects one: ``GET /token?service=&scope=`` with
    optional basic auth answers ``{"token": <JWT>}`` signed by a key whose self-signed
    certificate the registry trusts. Valid users get the actions they ask for; anonymous
    callers get ``pull`` only; wrong credentials get 401. Every request is recorded."""

    def __init__(self, folder: Path, users: dict[str, str], service: str = "test-registry",
                 issuer: str = "release-kit-tests") -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.users = users
        self.service = service
        self.issuer = issuer
        self.requests: list[dict[str, Any]] = []
        self.lifetime = 300
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "release-kit test tokens")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=7))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(self._key, hashes.SHA256()))
        self.cert_path = folder / "token-cert.pem"
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self._x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def realm(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/token"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def token(self, user: str, scopes: list[str]) -> str:
        """A JWT granting ``user`` (or anonymous, "") the scopes' actions they may have."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            granted = [a for a in actions.split(",") if user or a == "pull"]
            access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": user, "aud": self.service, "exp": now + self.lifetime,
                  "nbf": now - 10, "iat": now, "jti": secrets.token_hex(8), "access": access}
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        signing_input = (b64url(json.dumps(header).encode()) + "."
                         + b64url(json.dumps(claims).encode()))
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                user = ""
                header = self.headers.get("Authorization", "")
                if header.startswith("Basic "):
                    name, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    if server.users.get(name) != password:
                        server.requests.append({"user": name, "refused": True})
                        self.send_error(401)
                        return
                    user = name
                scopes = query.get("scope", [])
                token = server.token(user, scopes)
                server.requests.append({"user": user, "scopes": scopes, "token": token,
                                        "service": query.get("service", [""])[0]})
                body = json.dumps({"token": token,
                                   "expires_in": server.lifetime}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@dataclass
class Registry:
    """One ``docker-registry serve`` process on loopback."""

    folder: Path
    auth: str = "none"  # none | htpasswd | token
    users: dict[str, str] = field(default_factory=lambda: {"alice": "s3cret-" + secrets.token_hex(4)})
    port: int = 0
    token_server: TokenServer | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def user(self) -> tuple[str, str]:
        return next(iter(self.users.items()))

    def start(self) -> Registry:
        binary = require("docker-registry")
        self.folder.mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "error", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(self.folder / "data")},
                        "delete": {"enabled": True}},
            "http": {"secret": secrets.token_hex(16)},
        }
        if self.auth == "htpasswd":
            htpasswd = self.folder / "htpasswd"
            for index, (name, password) in enumerate(self.users.items()):
                flags = "-Bic" if index == 0 else "-Bi"
                subprocess.run([require("htpasswd"), flags, str(htpasswd), name],
                               input=password.encode(), check=True, capture_output=True)
            config["auth"] = {"htpasswd": {"realm": "release-kit-tests", "path": str(htpasswd)}}
        elif self.auth == "token":
            self.token_server = TokenServer(self.folder, self.users)
            config["auth"] = {"token": {"realm": self.token_server.realm,
                                        "service": self.token_server.service,
                                        "issuer": self.token_server.issuer,
                                        "rootcertbundle": str(self.token_server.cert_path)}}
        for _attempt in range(5):  # another process may take the free port before we bind it
            self.port = free_port()
            config["http"]["addr"] = self.host
            path = self.folder / "config.yml"
            path.write_text(json.dumps(config, indent=2))  # JSON is YAML
            log = (self.folder / "registry.log").open("ab")
            self.process = subprocess.Popen([binary, "serve", str(path)], stdout=log, stderr=log)
            log.close()
            if self._wait_ready():
                return self
            self.stop()
        raise RuntimeError(f"docker-registry did not start; see {self.folder / 'registry.log'}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/v2/", timeout=1).status_code in (200, 401):
                    return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.token_server is not None:
            self.token_server.close()
            self.token_server = None

    # ---- the tests' own client: seeding and raw checks ---------------------------------------

    def headers(self, repository: str) -> dict[str, str]:
        """Admin credentials for the tests' own requests."""
        name, password = self.user
        if self.auth == "htpasswd":
            raw = base64.b64encode(f"{name}:{password}".encode()).decode()
            return {"Authorization": f"Basic {raw}"}
        if self.auth == "token" and self.token_server is not None:
            token = self.token_server.token(name, [f"repository:{repository}:pull,push"])
            return {"Authorization": f"Bearer {token}"}
        return {}

    def put_blob(self, repository: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        headers = self.headers(repository)
        if requests.head(f"{self.url}/v2/{repository}/blobs/{digest}", headers=headers,
                         timeout=10).status_code == 200:
            return digest
        started = requests.post(f"{self.url}/v2/{repository}/blobs/uploads/", headers=headers,
                                timeout=10)
        started.raise_for_status()
        location = urllib.parse.urljoin(self.url, started.headers["Location"])
        done = requests.put(location, params={"digest": digest}, data=data, timeout=60,
                            headers={**headers, "Content-Type": "application/octet-stream"})
        done.raise_for_status()
        return digest

    def put_manifest(self, repository: str, manifest: Manifest, reference: str | None = None
                     ) -> requests.Response:
        response = requests.put(
            f"{self.url}/v2/{repository}/manifests/{reference or manifest.digest}",
            data=manifest.data, timeout=10,
            headers={**self.headers(repository), "Content-Type": manifest.media_type})
        response.raise_for_status()
        assert response.headers["Docker-Content-Digest"] == manifest.digest
        return response

    def push(self, repository: str, image: SampleImage, tag: str | None = None, *,
             blobs: bool = True) -> None:
        """Blobs, then children, then the (tagged) manifest, as a client pushes."""
        if blobs:
            for data in image.all_blobs().values():
                self.put_blob(repository, data)
        for child in image.children:
            self.put_manifest(repository, child.manifest)
        self.put_manifest(repository, image.manifest, tag)

    def has_blob(self, repository: str, digest: str) -> bool:
        return requests.head(f"{self.url}/v2/{repository}/blobs/{digest}",
                             headers=self.headers(repository), timeout=10).status_code == 200

    def tags(self, repository: str) -> list[str]:
        response = requests.get(f"{self.url}/v2/{repository}/tags/list",
                                headers=self.headers(repository), timeout=10)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return sorted(response.json().get("tags") or [])


@contextlib.contextmanager
def running(folder: Path, auth: str = "none") -> Iterator[Registry]:
    registry = Registry(folder, auth).start()
    try:
        yield registry
    finally:
        registry.stop()


@dataclass
class Skopeo:
    """``skopeo`` as an independent client: raw manifests, digests, copies."""

    registry: Registry

    def args(self) -> list[str]:
        if self.registry.auth == "none":
            return ["--tls-verify=false", "--no-creds"]
        name, password = self.registry.user
        return ["--tls-verify=false", "--creds", f"{name}:{password}"]

    def raw(self, repository: str, reference: str) -> bytes:
        separator = "@" if reference.startswith("sha256:") else ":"
        proc = subprocess.run(
            [require("skopeo"), "inspect", "--raw", *self.args(),
             f"docker://{self.registry.host}/{repository}{separator}{reference}"],
            capture_output=True, check=False, timeout=60)
        if proc.returncode:
            raise AssertionError(f"skopeo inspect {repository}{separator}{reference} failed: "
                                 f"{proc.stderr.decode(errors='replace')}")
        return proc.stdout

    def digest(self, repository: str, reference: str) -> str:
        return "sha256:" + hashlib.sha256(self.raw(repository, reference)).hexdigest()


class ReferrersProxy:
    """The OCI 1.1 referrers API in front of a registry that lacks it (distribution 2.8).

    Every request is passed to the registry as it is (Host kept, so its Location headers name
    the proxy). A manifest PUT whose body has a ``subject`` is remembered and answered with
    ``OCI-Subject``, and ``GET /v2/<name>/referrers/<digest>`` lists what was remembered, as
    the distribution spec describes; nothing else is emulated.
    """

    HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.referrers: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.listed: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def host(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while size := int(self.rfile.readline().split(b";")[0], 16):
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    self.rfile.readline()
                    return b"".join(chunks)
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in proxy.HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _forward(self) -> None:
                parts = self.path.split("?", 1)[0].split("/")
                if self.command == "GET" and len(parts) > 4 and parts[-2] == "referrers":
                    name, digest = "/".join(parts[2:-2]), parts[-1]
                    proxy.listed.append(digest)
                    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                             "manifests": proxy.referrers.get((name, digest), [])}
                    self._reply(200, {"Content-Type": index["mediaType"]},
                                json.dumps(index).encode())
                    return
                body = self._body()
                headers = {k: v for k, v in self.headers.items() if k.lower() not in proxy.HOP}
                headers["Host"] = proxy.host
                response = requests.request(self.command, proxy.registry.url + self.path,
                                            headers=headers, data=body, timeout=60,
                                            allow_redirects=False)
                extra: dict[str, str] = {}
                if self.command == "PUT" and "/manifests/" in self.path and response.ok:
                    document = json.loads(body)
                    subject = document.get("subject")
                    if isinstance(subject, dict):
                        name = "/".join(parts[2:-2])
                        entry = {"mediaType": document.get("mediaType"),
                                 "digest": response.headers["Docker-Content-Digest"],
                                 "size": len(body),
                                 "artifactType": document.get("artifactType")}
                        listed = proxy.referrers.setdefault((name, subject["digest"]), [])
                        if entry not in listed:
                            listed.append(entry)
                        extra["OCI-Subject"] = subject["digest"]
                self._reply(response.status_code, {**response.headers, **extra},
                            response.content)

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _forward

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
