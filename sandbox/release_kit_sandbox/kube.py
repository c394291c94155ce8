"""A small Kubernetes API for the sandbox, Helm's footprint in it, and a simulated ``helmfile``.

``FakeKubernetes`` serves what deploy-helmfile reads and writes: namespaces (with their labels
and annotations), and per namespace pods, events, secrets (Helm stores each release as a secret
labelled ``owner=helm``) and ingresses, with ``labelSelector``/``fieldSelector`` equality
filters. It answers as the real API does where the action depends on it: creating a namespace
that exists is ``409 AlreadyExists``, reading or deleting one that does not is ``404 NotFound``,
and so is creating an object in a namespace that does not exist. It is enough for the action's
real kubernetes-client code paths: creating and checking its own namespaces, the URL from the
Ingress of the deployed release, failure diagnostics from pods and events, and deleting a shared
preview namespace once its last Helm release is gone. Tests create namespaces with
``create_namespace``, put objects in with ``add`` (built by ``helm_release_secret`` and
``ingress``; ``add`` creates a missing namespace, unlabelled, like someone else's) and empty it
with ``reset``. Deletion is immediate (no ``Terminating`` phase).

``Helm`` is Helm's side, spoken over HTTP to the server of a sandbox kubeconfig: installing a
release leaves its release secret and an Ingress that carries the release's name the way Helm
3.2+ (``meta.helm.sh/release-name``) and charts (``app.kubernetes.io/instance``) mark it;
uninstalling removes both. The simulated helmfile changes releases only through it, and so does
the deploy tests' helmfile spy (a script made with ``python_script``).

The simulated helmfile (``install_simulated_helmfile``) stands in for helmfile in the
rehearsal. Every line it prints starts with ``[simulated helmfile]``. It deploys the first
release its helmfile declares: ``apply`` installs it, ``destroy`` uninstalls it, ``diff``
reports changes, ``list --output json`` names it as helmfile does. With
``SIMULATED_HELMFILE_FAIL`` set to the environment being deployed, ``apply`` fails the way a
broken rollout does: a pod in CrashLoopBackOff, a warning event, exit code 1.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import parse_qs, urlsplit

from release_kit.environments.urls import INSTANCE_LABEL, RELEASE_ANNOTATION

Kind = Literal["pods", "events", "secrets", "ingresses"]
KINDS: tuple[Kind, ...] = ("pods", "events", "secrets", "ingresses")
_ROUTE = re.compile(
    r"^/(?:api/v1|apis/networking\.k8s\.io/v1)/namespaces"
    rf"(?:/(?P<ns>[^/]+)(?:/(?P<kind>{'|'.join(KINDS)})(?:/(?P<name>[^/]+))?)?)?$"
)


@dataclass
class Namespace:
    created: str
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    objects: dict[Kind, list[dict[str, Any]]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )

    def json(self, name: str, phase: str = "Active") -> dict[str, Any]:
        return {"kind": "Namespace", "apiVersion": "v1",
                "metadata": {"name": name, "creationTimestamp": self.created,
                             "labels": dict(self.labels), "annotations": dict(self.annotations)},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": phase}}


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    body: bytes | None
    count: int


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
    """``with FakeKubernetes() as kube:`` serves on ``host`` (loopback by default, the address its
    URL names too); ``kube.write_kubeconfig(path)``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.namespaces: dict[str, Namespace] = {}
        self.requests: list[tuple[str, str]] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                fake._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.server.server_address[1]}"

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

    def create_namespace(self, name: str, *, labels: Mapping[str, str] | None = None,
                         annotations: Mapping[str, str] | None = None) -> Namespace:
        """Create (or relabel) ``name``, as if someone had made it with these marks."""
        with self.lock:
            ns = self._namespace(name)
            ns.labels, ns.annotations = dict(labels or {}), dict(annotations or {})
            return ns

    def add(self, namespace: str, kind: Kind, *items: Mapping[str, Any]) -> None:
        """Create or replace each item (by ``metadata.name``) in ``namespace`` (a copy: the
        server owns its objects, callers may reuse theirs)."""
        with self.lock:
            for item in items:
                self._put(namespace, kind, copy.deepcopy(dict(item)))

    def items(self, namespace: str, kind: Kind) -> list[dict[str, Any]]:
        with self.lock:
            ns = self.namespaces.get(namespace)
            return list(ns.objects[kind]) if ns else []

    def reset(self) -> None:
        """Forget every namespace, request and fault (one server, many tests)."""
        with self.lock:
            self.namespaces.clear()
            self.requests.clear()
            self.faults.clear()

    def fail(self, method: str, path: str, status: int, body: bytes | None = None,
             count: int = 1) -> None:
        """Answer the next ``count`` ``method`` requests whose path matches the regex ``path``
        with ``status`` and ``body`` (default: a Kubernetes Status), doing nothing else."""
        with self.lock:
            self.faults.append(Fault(method.upper(), re.compile(path), status, body, count))

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
            fault = next((f for f in self.faults if f.count and f.method == handler.command
                          and f.path.search(parts.path)), None)
            if fault is not None:
                fault.count -= 1
                status = fault.status
                data = fault.body if fault.body is not None else json.dumps(
                    _status(fault.status, "InternalError", "injected fault")).encode()
            else:
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
        ns, name = match["ns"], match["name"]
        kind = cast("Kind | None", match["kind"])  # the route's pattern admits only KINDS
        if ns is None:
            if method == "POST":
                metadata = body.get("metadata") or {}
                name = str(metadata.get("name") or "")
                if not name:
                    return 422, _status(422, "Invalid", "metadata.name: Required value")
                if name in self.namespaces:
                    return 409, _status(409, "AlreadyExists",
                                        f'namespaces "{name}" already exists')
                created = self._namespace(name)
                created.labels = dict(metadata.get("labels") or {})
                created.annotations = dict(metadata.get("annotations") or {})
                return 201, created.json(name)
            return 200, {"kind": "NamespaceList", "apiVersion": "v1", "metadata": {},
                         "items": [self.namespaces[n].json(n) for n in sorted(self.namespaces)]}
        if kind is None:
            if ns not in self.namespaces:
                return 404, _status(404, "NotFound", f'namespaces "{ns}" not found')
            if method == "DELETE":
                gone = self.namespaces.pop(ns)
                return 200, gone.json(ns, phase="Terminating")
            return 200, self.namespaces[ns].json(ns)
        if method in {"POST", "PUT"}:
            if ns not in self.namespaces:
                return 404, _status(404, "NotFound", f'namespaces "{ns}" not found')
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

    def _put(self, namespace: str, kind: Kind, item: dict[str, Any]) -> dict[str, Any]:
        item.setdefault("metadata", {})["namespace"] = namespace
        objects = self._namespace(namespace).objects[kind]
        objects[:] = [i for i in objects if i["metadata"]["name"] != item["metadata"]["name"]]
        objects.append(item)
        return item


# -- what Helm leaves in the API ------------------------------------------------------------

IMAGE_ANNOTATION = "sandbox/image"  # on the release secret: what the release runs


def helm_release_secret(release: str, *, image: str = "") -> dict[str, Any]:
    """The Secret in which Helm 3 stores a release (``owner=helm``, ``name=<release>``)."""
    return {"metadata": {"name": f"sh.helm.release.v1.{release}.v1",
                         "labels": {"owner": "helm", "name": release, "status": "deployed"},
                         "annotations": {IMAGE_ANNOTATION: image} if image else {}},
            "type": "helm.sh/release.v1"}


def ingress(name: str, host: str, *, release: str = "",
            annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An Ingress with one rule for ``host``; with ``release``, marked as that Helm release's."""
    metadata: dict[str, Any] = {"name": name, "annotations": dict(annotations or {})}
    if release:
        metadata["annotations"][RELEASE_ANNOTATION] = release
        metadata["labels"] = {INSTANCE_LABEL: release, "app.kubernetes.io/managed-by": "Helm"}
    return {"metadata": metadata, "spec": {"rules": [{"host": host}]}}


class Helm:
    """Helm's footprint in the API server of a sandbox kubeconfig: install, uninstall, crash."""

    def __init__(self, server: str) -> None:
        self.server = server.rstrip("/")

    @classmethod
    def from_kubeconfig(cls, path: Path) -> Helm:
        """From a kubeconfig written by ``FakeKubernetes.write_kubeconfig`` (JSON)."""
        config = json.loads(path.read_text(encoding="utf-8"))
        return cls(str(config["clusters"][0]["cluster"]["server"]))

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None
              ) -> dict[str, Any] | None:
        """One request; None for 404."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.server + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request) as response:
                found: dict[str, Any] = json.load(response)
                return found
        except urllib.error.HTTPError as err:
            if err.code != 404:
                raise
            return None

    def _ensure_namespace(self, namespace: str) -> None:
        """What ``--create-namespace`` does: create it (labelled ``name``) unless it exists."""
        try:
            self._call("POST", "/api/v1/namespaces",
                       {"metadata": {"name": namespace, "labels": {"name": namespace}}})
        except urllib.error.HTTPError as err:
            if err.code != 409:
                raise

    def install(self, namespace: str, release: str, *, image: str, host: str) -> bool:
        """``release`` runs ``image`` behind ``host``; False when it already did (no change)."""
        self._ensure_namespace(namespace)
        secret = helm_release_secret(release, image=image)
        secrets = f"/api/v1/namespaces/{namespace}/secrets"
        previous = self._call("GET", f"{secrets}/{secret['metadata']['name']}") or {}
        if previous.get("metadata", {}).get("annotations", {}).get(IMAGE_ANNOTATION) == image:
            return False
        self._call("POST", secrets, secret)
        self._call("POST", f"/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses",
                   ingress(release, host, release=release))
        return True

    def uninstall(self, namespace: str, release: str) -> bool:
        """Remove ``release``'s secret and Ingress; False when it was not installed."""
        secret = helm_release_secret(release)["metadata"]["name"]
        found = self._call("DELETE", f"/api/v1/namespaces/{namespace}/secrets/{secret}")
        self._call("DELETE",
                   f"/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/{release}")
        return found is not None

    def crash(self, namespace: str, release: str) -> None:
        """A rollout of ``release`` that never becomes ready: CrashLoopBackOff and its event."""
        self._ensure_namespace(namespace)
        base = f"/api/v1/namespaces/{namespace}"
        pod = f"{release}-5d9c7b6f4-x2x7q"
        waiting = {"reason": "CrashLoopBackOff",
                   "message": "back-off 40s restarting failed container"}
        self._call("POST", f"{base}/pods", {
            "metadata": {"name": pod},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": release, "ready": False, "restartCount": 4,
                 "state": {"waiting": waiting}}]}})
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._call("POST", f"{base}/events", {
            "metadata": {"name": f"{pod}.1"}, "type": "Warning", "reason": "BackOff",
            "message": f"Back-off restarting failed container {release}",
            "lastTimestamp": now, "involvedObject": {"kind": "Pod", "name": pod}})


# -- helmfile's side ------------------------------------------------------------------------

_RELEASE_NAME = re.compile(r"^\s*-\s*name:\s*([\w.-]+)", re.M)


def declared_release(helmfile: Path) -> str:
    """The first release a helmfile declares (all the simulation reads of it), else ""."""
    text = helmfile.read_text(encoding="utf-8") if helmfile.is_file() else ""
    found = _RELEASE_NAME.search(text)
    return found.group(1) if found else ""


def list_json(releases: Sequence[str], namespace: str) -> str:
    """What ``helmfile --namespace NS list --output json`` prints for ``releases``."""
    return json.dumps([
        {"name": name, "namespace": namespace, "enabled": True, "installed": True,
         "labels": f"name:{name},namespace:{namespace}", "chart": "", "version": ""}
        for name in releases
    ], separators=(",", ":"))


def _option(argv: Sequence[str], flag: str, default: str) -> str:
    return argv[argv.index(flag) + 1] if flag in argv[:-1] else default


def _state_values(argv: Sequence[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for flag, path in itertools.pairwise(argv):
        if flag == "--state-values-file":
            try:
                values.update(json.loads(Path(path).read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
    return values


def _say(text: str, *, err: bool = False) -> None:
    print(f"[simulated helmfile] {text}", file=sys.stderr if err else sys.stdout, flush=True)


SUBCOMMANDS = ("apply", "sync", "diff", "destroy", "list", "template")


def simulated_helmfile(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """The simulated helmfile's main: one release, changed through ``Helm``; the exit code."""
    if "--version" in argv or argv[:1] == ["version"]:
        print("helmfile version simulated (release-kit sandbox)")
        return 0
    sub = next((a for a in argv if a in SUBCOMMANDS), "")
    environment = _option(argv, "--environment", "default")
    ns = _option(argv, "--namespace", "default")
    release = declared_release(Path(_option(argv, "--file", "helmfile.yaml"))) or Path.cwd().name
    if sub == "list":  # stdout is data here: the story goes to stderr
        _say(f"list: release {release} in namespace {ns}", err=True)
        print(list_json([release], ns))
        return 0
    if sub == "diff":
        _say(f"diff: release {release} in namespace {ns} has changes")
        return 2
    if sub not in ("apply", "sync", "destroy"):
        _say(f"{sub or 'nothing'}: nothing to simulate")
        return 0
    helm = Helm.from_kubeconfig(Path(env["KUBECONFIG"]))
    if sub == "destroy":
        _say(f"destroy: release {release} in namespace {ns}")
        helm.uninstall(ns, release)
        return 0
    image = _state_values(argv).get("image")
    image = image if isinstance(image, dict) else {}
    deployed = f"{image.get('repository', 'image')}:{image.get('tag', '')}"
    _say(f"{sub}: release {release} ({deployed}) -> namespace {ns}, environment {environment}")
    if env.get("SIMULATED_HELMFILE_FAIL") in (environment, "1"):
        helm.crash(ns, release)
        _say(f"Error: UPGRADE FAILED: release {release}: context deadline exceeded "
             f"(simulated failure of {environment})")
        return 1
    host = f"{release}.{ns}.sandbox.test"
    if not helm.install(ns, release, image=deployed, host=host):
        _say(f"release {release} already runs {deployed}: no changes")
        return 0
    _say(f"release {release} deployed; ingress host {host}")
    return 2 if "--detailed-exitcode" in argv else 0


def python_script(body: str) -> str:
    """An executable Python script (this interpreter) in which this module is ``kube``.

    The module is loaded from its file rather than imported as ``release_kit_sandbox.kube``:
    the package would import the GitHub emulator, 0.2 s more on every helmfile call.
    """
    return (f"#!{sys.executable}\n"
            "import importlib.util, os, sys\n"
            f"_spec = importlib.util.spec_from_file_location('sandbox_kube', {__file__!r})\n"
            "kube = importlib.util.module_from_spec(_spec)\n"
            "sys.modules[_spec.name] = kube\n"
            "_spec.loader.exec_module(kube)\n"
            f"{body}\n")


def install_simulated_helmfile(path: Path) -> Path:
    """Write the simulated ``helmfile`` executable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(python_script(
        "# The simulated helmfile of the release-kit sandbox.\n"
        "sys.exit(kube.simulated_helmfile(sys.argv[1:], os.environ))"), encoding="utf-8")
    path.chmod(0o755)
    return path
