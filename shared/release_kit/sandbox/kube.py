"""A small Kubernetes API for the sandbox, and a simulated ``helmfile`` that deploys into it.

``FakeKubernetes`` serves what deploy-helmfile reads and writes: namespaces, and per namespace
pods, events, secrets (Helm stores each release as a secret labelled ``owner=helm``) and
ingresses, with ``labelSelector``/``fieldSelector`` equality filters. It is enough for the
action's real kubernetes-client code paths: the URL from an Ingress, failure diagnostics from
pods and events, and deleting a shared preview namespace once its last Helm release is gone.

The simulated helmfile (``install_simulated_helmfile``) stands in for helmfile in the
rehearsal. Every line it prints starts with ``[simulated helmfile]``. ``apply`` records the
release (a Helm release secret and an Ingress) through this API, ``destroy`` removes it, and
``diff`` reports changes. With ``SIMULATED_HELMFILE_FAIL`` set to the environment being
deployed, ``apply`` fails the way a broken rollout does: a pod in CrashLoopBackOff, a warning
event, exit code 1.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

KINDS = ("pods", "events", "secrets", "ingresses")
_ROUTE = re.compile(
    r"^/(?:api/v1|apis/networking\.k8s\.io/v1)/namespaces"
    r"(?:/(?P<ns>[^/]+)(?:/(?P<kind>pods|events|secrets|ingresses)(?:/(?P<name>[^/]+))?)?)?$"
)


@dataclass
class Namespace:
    created: str
    objects: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )


def _status(code: int, reason: str, message: str = "") -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code,
            "reason": reason, "message": message or reason}


def _matches(item: dict[str, Any], query: dict[str, str]) -> bool:
    for key, value in (pair.partition("=")[::2] for pair in
                       query.get("labelSelector", "").split(",") if pair):
        if item.get("metadata", {}).get("labels", {}).get(key) != value:
            return False
    for key, value in (pair.partition("=")[::2] for pair in
                       query.get("fieldSelector", "").split(",") if pair):
        found: Any = item
        for part in key.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        if found != value:
            return False
    return True


class FakeKubernetes:
    """``with FakeKubernetes() as kube:`` serves on 127.0.0.1; ``kube.write_kubeconfig(path)``."""

    def __init__(self) -> None:
        self.namespaces: dict[str, Namespace] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                fake._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeKubernetes:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- state helpers for tests and the rehearsal -------------------------------------------

    def namespace(self, name: str) -> Namespace:
        with self.lock:
            return self._namespace(name)

    def _namespace(self, name: str) -> Namespace:
        if name not in self.namespaces:
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.namespaces[name] = Namespace(created=now)
        return self.namespaces[name]

    def add(self, namespace: str, kind: str, item: dict[str, Any]) -> None:
        """Create or replace ``item`` (by ``metadata.name``) in ``namespace``."""
        with self.lock:
            self._put(namespace, kind, item)

    def items(self, namespace: str, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            ns = self.namespaces.get(namespace)
            return list(ns.objects[kind]) if ns else []

    def write_kubeconfig(self, path: Path) -> Path:
        """A kubeconfig for this server (token auth with a dummy token), mode 0600."""
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": "sandbox",
            "clusters": [{"name": "sandbox", "cluster": {"server": self.url}}],
            "users": [{"name": "sandbox", "user": {"token": "sandbox-token"}}],
            "contexts": [{"name": "sandbox", "context": {"cluster": "sandbox", "user": "sandbox"}}],
        }
        path.write_text(json.dumps(config, indent=2), encoding="utf-8")  # JSON is valid YAML
        path.chmod(0o600)
        return path

    # -- HTTP ---------------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}") if length else {}
        with self.lock:
            self.requests.append((handler.command, handler.path))
            status, payload = self._route(handler.command, parts.path, query, body)
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _route(self, method: str, path: str, query: dict[str, str],
               body: dict[str, Any]) -> tuple[int, Any]:
        match = _ROUTE.match(path)
        if not match:
            return 404, _status(404, "NotFound", f"no route for {path}")
        ns, kind, name = match["ns"], match["kind"], match["name"]
        if ns is None:
            if method == "POST":
                name = str(body.get("metadata", {}).get("name", ""))
                created = self._namespace(name)
                metadata = {"name": name, "creationTimestamp": created.created}
                return 201, {"kind": "Namespace", "metadata": metadata}
            return 200, {"kind": "NamespaceList", "apiVersion": "v1", "metadata": {},
                         "items": [{"metadata": {"name": n}} for n in sorted(self.namespaces)]}
        if kind is None:
            if ns not in self.namespaces:
                return 404, _status(404, "NotFound", f'namespaces "{ns}" not found')
            if method == "DELETE":
                del self.namespaces[ns]
                return 200, {"kind": "Status", "apiVersion": "v1", "status": "Success"}
            return 200, {"kind": "Namespace", "apiVersion": "v1",
                         "metadata": {"name": ns, "creationTimestamp": self.namespaces[ns].created},
                         "status": {"phase": "Active"}}
        if method in {"POST", "PUT"}:
            return 201, self._put(ns, kind, body)
        items = self.namespaces[ns].objects[kind] if ns in self.namespaces else []
        if method == "DELETE":
            kept = [i for i in items if i["metadata"]["name"] != name]
            if len(kept) == len(items):
                return 404, _status(404, "NotFound", f'{kind} "{name}" not found')
            items[:] = kept
            return 200, {"kind": "Status", "apiVersion": "v1", "status": "Success"}
        if name is not None:
            found = [i for i in items if i["metadata"]["name"] == name]
            return (200, found[0]) if found else (404, _status(404, "NotFound"))
        return 200, {"kind": "List", "apiVersion": "v1", "metadata": {},
                     "items": [i for i in items if _matches(i, query)]}

    def _put(self, namespace: str, kind: str, item: dict[str, Any]) -> dict[str, Any]:
        item.setdefault("metadata", {})["namespace"] = namespace
        objects = self._namespace(namespace).objects[kind]
        objects[:] = [i for i in objects if i["metadata"]["name"] != item["metadata"]["name"]]
        objects.append(item)
        return item


def install_simulated_helmfile(path: Path) -> Path:
    """Write the simulated ``helmfile`` executable (it runs with this interpreter)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\n" + SIMULATED_HELMFILE, encoding="utf-8")
    path.chmod(0o755)
    return path


SIMULATED_HELMFILE = r'''"""The simulated helmfile of the release-kit sandbox."""
import json, os, re, sys, urllib.error, urllib.request
from datetime import datetime, timezone

argv = sys.argv[1:]
if "--version" in argv or argv[:1] == ["version"]:
    print("helmfile version simulated (release-kit sandbox)")
    sys.exit(0)
sub = next((a for a in argv if a in ("apply", "sync", "diff", "destroy", "template")), "")


def opt(flag, default=""):
    return argv[argv.index(flag) + 1] if flag in argv else default


def say(text):
    print(f"[simulated helmfile] {text}", flush=True)


environment, ns = opt("--environment", "default"), opt("--namespace", "default")
file = opt("--file", "helmfile.yaml")
text = open(file, encoding="utf-8").read() if os.path.exists(file) else ""
found = re.search(r"^\s*-\s*name:\s*([\w.-]+)", text, re.M)
release = found.group(1) if found else os.path.basename(os.getcwd())
values = {}
for i, arg in enumerate(argv[:-1]):
    if arg == "--state-values-file":
        try:
            values.update(json.load(open(argv[i + 1], encoding="utf-8")))
        except ValueError:
            pass
image = values.get("image") if isinstance(values.get("image"), dict) else {}
config = json.load(open(os.environ["KUBECONFIG"], encoding="utf-8"))
server = config["clusters"][0]["cluster"]["server"]


def kube(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        return json.load(urllib.request.urlopen(request))
    except urllib.error.HTTPError as err:
        if err.code != 404:
            raise
        return None


base = f"/api/v1/namespaces/{ns}"
ingresses = f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses"
secret = f"sh.helm.release.v1.{release}.v1"
if sub in ("apply", "sync"):
    deployed = f"{image.get('repository', 'image')}:{image.get('tag', '')}"
    say(f"{sub}: release {release} ({deployed}) -> namespace {ns}, environment {environment}")
    kube("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    if os.environ.get("SIMULATED_HELMFILE_FAIL") in (environment, "1"):
        pod = f"{release}-5d9c7b6f4-x2x7q"
        waiting = {"reason": "CrashLoopBackOff",
                   "message": "back-off 40s restarting failed container"}
        kube("POST", f"{base}/pods", {
            "metadata": {"name": pod},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": release, "ready": False, "restartCount": 4,
                 "state": {"waiting": waiting}}]}})
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        kube("POST", f"{base}/events", {
            "metadata": {"name": f"{pod}.1"}, "type": "Warning", "reason": "BackOff",
            "message": f"Back-off restarting failed container {release}",
            "lastTimestamp": now, "involvedObject": {"kind": "Pod", "name": pod}})
        say(f"Error: UPGRADE FAILED: release {release}: context deadline exceeded "
            f"(simulated failure of {environment})")
        sys.exit(1)
    previous = kube("GET", f"{base}/secrets/{secret}") or {}
    if (previous.get("metadata", {}).get("annotations") or {}).get("sandbox/image") == deployed:
        say(f"release {release} already runs {deployed}: no changes")
        sys.exit(0)
    labels = {"owner": "helm", "name": release, "status": "deployed"}
    kube("POST", f"{base}/secrets", {
        "metadata": {"name": secret, "labels": labels,
                     "annotations": {"sandbox/image": deployed}},
        "type": "helm.sh/release.v1"})
    host = f"{release}.{ns}.sandbox.test"
    kube("POST", ingresses, {
        "metadata": {"name": release, "annotations": {"meta.helm.sh/release-name": release},
                     "labels": {"app.kubernetes.io/instance": release,
                                "app.kubernetes.io/managed-by": "Helm"}},
        "spec": {"rules": [{"host": host}]}})
    say(f"release {release} deployed; ingress host {host}")
    sys.exit(2 if "--detailed-exitcode" in argv else 0)
elif sub == "destroy":
    say(f"destroy: release {release} in namespace {ns}")
    kube("DELETE", f"{base}/secrets/{secret}")
    kube("DELETE", f"{ingresses}/{release}")
elif sub == "diff":
    say(f"diff: release {release} in namespace {ns} has changes")
    sys.exit(2)
else:
    say(f"{sub or 'nothing'}: nothing to simulate")
'''
