"""Test doubles at the process and network boundary: a fake ``helmfile`` executable and a
small fake Kubernetes API server (namespaces, ingresses, pods, events, secrets)."""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

# The fake records every call (argv, env, the kubeconfig's text) as one JSON line, may run the
# kubeconfig's exec credential plugin (to prove it works), and on destroy deletes the Helm
# release secret of FAKE_HELMFILE_RELEASE through the API server named in the kubeconfig.
# Exit codes: FAKE_HELMFILE_EXIT_<SUBCOMMAND>, else apply/diff 2 (changes), destroy 0;
# FAKE_HELMFILE_SLEEP=<s> makes it hang (for the timeout).
FAKE_HELMFILE = r'''#!{python}
import json, os, subprocess, sys, urllib.request
import yaml

argv = sys.argv[1:]
sub = next(a for a in argv if a in ("apply", "diff", "destroy", "sync", "template"))
path = os.environ.get("KUBECONFIG", "")
text = open(path, encoding="utf-8").read() if path and os.path.exists(path) else ""
record = {"argv": argv, "env": dict(os.environ), "kubeconfig": text,
          "kubeconfig_mode": oct(os.stat(path).st_mode & 0o777) if text else ""}
config = yaml.safe_load(text) if text else {}
for user in (config or {}).get("users") or []:
    exec_ = (user.get("user") or {}).get("exec")
    if exec_ and os.environ.get("FAKE_HELMFILE_RUN_EXEC") == "1":
        proc = subprocess.run([exec_["command"], *exec_.get("args", [])], capture_output=True,
                              text=True, env={**os.environ, **{e["name"]: e["value"] for e in exec_.get("env") or []}})
        record["exec"] = {"code": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
        sys.stderr.write(proc.stderr)
for name in [a for i, a in enumerate(argv) if i and argv[i - 1] == "--state-values-file"]:
    record.setdefault("state_values", []).append(json.load(open(name, encoding="utf-8")))
with open(os.environ["FAKE_HELMFILE_LOG"], "a", encoding="utf-8") as fh:
    fh.write(json.dumps(record) + "\n")
print(f"fake helmfile {sub}: Comparing release=web, chart=./chart")
print("fake helmfile: secret values suppressed")
release = os.environ.get("FAKE_HELMFILE_RELEASE", "")
if sub == "destroy" and release and config.get("clusters"):
    server = config["clusters"][0]["cluster"]["server"]
    ns = argv[argv.index("--namespace") + 1]
    req = urllib.request.Request(f"{server}/api/v1/namespaces/{ns}/secrets/sh.helm.release.v1.{release}.v1", method="DELETE")
    urllib.request.urlopen(req).read()
if os.environ.get("FAKE_HELMFILE_SLEEP"):
    import time
    print("waiting for the release to become ready", flush=True)
    time.sleep(float(os.environ["FAKE_HELMFILE_SLEEP"]))
default = {"apply": 2, "diff": 2}.get(sub, 0)
code = int(os.environ.get(f"FAKE_HELMFILE_EXIT_{sub.upper()}", default))
if code not in (0, 2):
    print("Error: UPGRADE FAILED: context deadline exceeded", file=sys.stderr)
sys.exit(code)
'''


@dataclass
class FakeHelmfile:
    bin_dir: Path
    log: Path

    def env(self, **extra: str) -> dict[str, str]:
        return {"PATH": f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}",
                "FAKE_HELMFILE_LOG": str(self.log), **extra}

    @property
    def calls(self) -> list[dict[str, Any]]:
        return helmfile_calls(self.log)


def install_fake_helmfile(bin_dir: Path) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / "helmfile"
    path.write_text(FAKE_HELMFILE.replace("{python}", sys.executable), encoding="utf-8")
    path.chmod(0o755)
    return path


def helmfile_calls(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


# -- fake Kubernetes API ---------------------------------------------------------------------


@dataclass
class Namespace:
    ingresses: list[dict[str, Any]] = field(default_factory=list)
    pods: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[dict[str, Any]] = field(default_factory=list)


def helm_secret(release: str, namespace: str) -> dict[str, Any]:
    return {"metadata": {"name": f"sh.helm.release.v1.{release}.v1", "namespace": namespace,
                         "labels": {"owner": "helm", "name": release, "status": "deployed"}},
            "type": "helm.sh/release.v1"}


def ingress(name: str, host: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": name, "annotations": annotations or {}},
            "spec": {"rules": [{"host": host}]}}


_ROUTE = re.compile(
    r"^/(?:api/v1|apis/networking\.k8s\.io/v1)/namespaces(?:/(?P<ns>[^/]+)"
    r"(?:/(?P<kind>pods|events|secrets|ingresses)(?:/(?P<name>[^/]+))?)?)?$"
)


class FakeKube:
    """``with FakeKube() as kube:`` serves the API on 127.0.0.1; ``kube.kubeconfig(path)``."""

    def __init__(self) -> None:
        self.namespaces: dict[str, Namespace] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.handle(self, "GET")

            def do_DELETE(self) -> None:
                fake.handle(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeKube:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def namespace(self, name: str) -> Namespace:
        return self.namespaces.setdefault(name, Namespace())

    def kubeconfig(self, path: Path) -> Path:
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake", "user": {"token": "fake-token"}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
            "current-context": "fake",
        }), encoding="utf-8")
        return path

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.requests.append((method, handler.path))
            status, body = self.route(method, parts.path, query)
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def route(self, method: str, path: str, query: dict[str, str]) -> tuple[int, Any]:
        match = _ROUTE.match(path)
        if not match or not match["ns"]:
            return 404, {"kind": "Status", "code": 404}
        ns, kind, name = match["ns"], match["kind"], match["name"]
        if kind is None:
            if ns not in self.namespaces:
                return 404, {"kind": "Status", "code": 404, "reason": "NotFound"}
            if method == "DELETE":
                del self.namespaces[ns]
                return 200, {"kind": "Status", "status": "Success"}
            return 200, {"kind": "Namespace", "metadata": {"name": ns}}
        items: list[dict[str, Any]] = getattr(self.namespaces.get(ns, Namespace()), kind)
        if method == "DELETE":
            before = len(items)
            items[:] = [i for i in items if i["metadata"]["name"] != name]
            return (200, {"kind": "Status"}) if len(items) < before else (404, {"code": 404})
        selected = items
        if "labelSelector" in query:
            key, _, value = query["labelSelector"].partition("=")
            selected = [i for i in selected if i["metadata"].get("labels", {}).get(key) == value]
        if "fieldSelector" in query:
            key, _, value = query["fieldSelector"].partition("=")
            selected = [i for i in selected if i.get(key) == value]
        return 200, {"kind": "List", "apiVersion": "v1", "metadata": {}, "items": selected}
