"""The OCI distribution adapter: any registry that speaks the OCI distribution API (Docker Hub,
GHCR, Harbor, Artifactory, Google Artifact Registry, Azure Container Registry, distribution).

``Client`` is one registry host: one HTTP transport (``transport``: keep-alive connections,
retries of idempotent requests on 5xx and connection errors, redirects, proxies), and
authentication from the registry's own 401 challenge: basic, or a bearer token from the
challenge's realm for the scopes of the repositories at hand (minted tokens and passwords are
masked). ``Repository`` is one
repository through a client: it reads and writes manifests with their exact bytes, checks and
copies blobs (mounting them from another repository of the same registry, otherwise chunked
uploads), and finds the signatures and attestations attached to a digest. Requests are counted
per kind (``calls``) for the step summary and the benchmark.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode, urljoin

from release_kit.action import commands
from release_kit.errors import (
    ConflictError,
    ExternalServiceError,
    NotFoundError,
    PermissionDeniedError,
)
from release_kit.registry import auth, transport
from release_kit.registry.manifests import ACCEPTED_MEDIA_TYPES, OCI_INDEX, Manifest, ManifestError
from release_kit.registry.plan import Mutability
from release_kit.registry.promotion import Attachment, Contents
from release_kit.registry.references import ImageRef, OciLocation
from release_kit.registry.transport import Response

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 120.0
STREAM_PART = 1024 * 1024  # the piece of a blob in memory while it streams through
LOOKUPS = 8  # parallel HEAD/GET requests when looking many things up
ATTACHED_TAGS = (".sig", ".att", ".sbom")  # cosign's tag scheme: sha256-<hex><suffix>
WRITES = frozenset({"PUT manifest", "POST upload", "PATCH upload", "PUT upload", "POST mount"})
MANIFEST_ACCEPT = ", ".join(ACCEPTED_MEDIA_TYPES)
_MAX_MESSAGE = 300
T = TypeVar("T")
R = TypeVar("R")


class Client:
    """One registry host through one HTTP transport, with the host's credentials (or none)."""

    def __init__(self, location: OciLocation, credentials: auth.Credentials | None = None
                 ) -> None:
        self.registry = location.registry
        self.base_url = location.base_url
        self.credentials = credentials
        for secret in credentials.secrets() if credentials else []:
            commands.add_mask(secret)
        # Retries: transport.Retry's defaults (GET, HEAD, PUT and DELETE replayed, never POST
        # or PATCH); a connection for each parallel look-up, and a few more.
        self.http = transport.Transport(timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                                        pool_size=LOOKUPS + 4, user_agent="release-kit")
        self._challenge: auth.Challenge | None = None
        self._authorization: dict[frozenset[str], str] = {}
        self._lock = threading.Lock()

    def url(self, path: str) -> str:
        return urljoin(self.base_url + "/", path.lstrip("/")) if "://" not in path else path

    def request(self, method: str, path: str, *, scopes: frozenset[str], doing: str,
                **kwargs: Any) -> Response:
        """One request, authenticated as the registry asks; a 401 once renews the
        authorization (a challenge or an expired token) and the request is sent again."""
        headers = dict(kwargs.pop("headers", None) or {})
        # A streamed body cannot be sent twice: a 401 on it is final.
        attempts = 1 if isinstance(kwargs.get("data"), Iterator) else 2
        url = self.url(path)
        for attempt in range(attempts):
            authorization = self._authorization.get(scopes)
            if authorization is None and self._challenge is not None:
                authorization = self._authenticate(self._challenge, scopes, doing)
            if authorization:
                headers["Authorization"] = authorization
            try:
                response = self.http.request(method, url, headers=headers, **kwargs)
            except transport.TransportError as exc:
                raise ExternalServiceError(
                    f"Could not reach {self.registry} while {doing}: {exc.__class__.__name__}: "
                    f"{exc}", hint="Check the registry's address and that this runner can "
                                   "reach it; re-run the job if it was a network failure.") from exc
            if response.status_code != 401:
                return response
            challenge = auth.parse_challenge(response.headers.get("WWW-Authenticate", ""))
            response.drain()  # a small body: the connection serves the retry
            if attempt + 1 == attempts or challenge is None:
                break
            with self._lock:  # the next attempt authenticates for this challenge
                self._challenge = challenge
                if self._authorization.get(scopes) == authorization:
                    self._authorization.pop(scopes, None)
        raise self._denied(doing)

    def _authenticate(self, challenge: auth.Challenge, scopes: frozenset[str], doing: str) -> str:
        with self._lock:
            known = self._authorization.get(scopes)
            if known:
                return known
            if challenge.scheme == "basic":
                if not self.credentials:
                    raise self._denied(doing)
                value = auth.basic(self.credentials)
            elif challenge.scheme == "bearer":
                value = "Bearer " + self._token(challenge, scopes, doing)
            else:
                raise ExternalServiceError(
                    f"{self.registry} asks for {challenge.scheme!r} authentication while "
                    f"{doing}; only Basic and Bearer are supported.")
            self._authorization[scopes] = value
            return value

    def _token(self, challenge: auth.Challenge, scopes: frozenset[str], doing: str) -> str:
        """A bearer token from the challenge's realm, for ``scopes`` (and the challenge's own)."""
        realm = challenge.realm
        if not realm.startswith(("https://", "http://")):
            raise ExternalServiceError(
                f"{self.registry} named no usable token realm ({realm[:80]!r}) while {doing}.")
        # The challenge's own scope too, unless it names a resource already asked for.
        resources = {scope.rpartition(":")[0] for scope in scopes}
        wanted = sorted(scopes | {s for s in challenge.params.get("scope", "").split(" ")
                                  if s and s.rpartition(":")[0] not in resources})
        params: list[tuple[str, str]] = [("scope", s) for s in wanted]
        if challenge.params.get("service"):
            params.insert(0, ("service", challenge.params["service"]))
        creds = self.credentials
        try:
            if creds and creds.identity_token:
                form = urlencode([
                    ("grant_type", "refresh_token"), ("refresh_token", creds.identity_token),
                    ("client_id", "release-kit"), *params])
                response = self.http.request(
                    "POST", realm, data=form.encode(), timeout=CONNECT_TIMEOUT,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
            else:
                headers = {"Authorization": auth.basic(creds)} if creds and creds.username else {}
                response = self.http.request("GET", realm, params=params, headers=headers,
                                             timeout=CONNECT_TIMEOUT)
        except transport.TransportError as exc:
            raise ExternalServiceError(
                f"Could not reach the token service of {self.registry} ({realm}) while "
                f"{doing}: {exc}") from exc
        if response.status_code in (401, 403):
            raise self._denied(doing, token_service=realm)
        try:
            body = response.json() if response.ok else None
            token = str(body.get("token") or body.get("access_token") or "") if body else ""
        except ValueError:
            token = ""
        if not token:
            raise ExternalServiceError(
                f"The token service of {self.registry} ({realm}) answered HTTP "
                f"{response.status_code} without a token while {doing}.")
        commands.add_mask(token)
        return token

    def _denied(self, doing: str, token_service: str = "") -> PermissionDeniedError:
        creds = self.credentials
        where = f" (token service {token_service})" if token_service else ""
        if creds:
            said = f"rejected the credentials from {creds.origin or 'the inputs'}{where}"
            hint = "Check the username and password (or token) and their access to the repository."
        else:
            said = f"requires credentials and none were given{where}"
            hint = ("Give registry-username and registry-password (target-registry-username and "
                    "target-registry-password for the target), or log in with docker login so "
                    "the Docker config.json holds them (DOCKER_CONFIG).")
        return PermissionDeniedError(f"{self.registry} {said} while {doing}.", hint=hint)


class OciRepository:
    """One repository of an OCI distribution registry, through its registry's client."""

    api = "Registry API"

    def __init__(self, client: Client, location: OciLocation, *, push: bool = False) -> None:
        self.client = client
        self.location = location
        self.calls: Counter[str] = Counter()
        self._scopes = {f"repository:{location.repository}:{'pull,push' if push else 'pull'}"}
        self._uploads: dict[str, str] = {}  # upload id (its first URL) -> where to send next
        self._lock = threading.Lock()

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self._scopes)

    def also_pull(self, repository: str) -> None:
        """Ask tokens that may also read ``repository`` (to mount blobs from it)."""
        if repository != self.location.repository:
            self._scopes.add(f"repository:{repository}:pull")

    @property
    def writes(self) -> int:
        return sum(n for kind, n in self.calls.items() if kind in WRITES)

    def _doing(self, what: str) -> str:
        return f"{what} ({self.location.describe()})"

    def _path(self, kind: str, reference: str = "") -> str:
        return f"/v2/{self.location.repository}/{kind}/{reference}"

    def _request(self, kind: str, method: str, path: str, doing: str,
                 **kwargs: Any) -> Response:
        with self._lock:
            self.calls[kind] += 1
        return self.client.request(method, path, scopes=self.scopes, doing=self._doing(doing),
                                   **kwargs)

    # ---- manifests --------------------------------------------------------------------------

    def get_manifest(self, ref: ImageRef) -> Manifest | None:
        """The manifest ``ref`` names, bytes exactly as stored; None when there is none."""
        doing = f"reading manifest {ref}"
        response = self._request("GET manifest", "GET", self._path("manifests", str(ref)), doing,
                                 headers={"Accept": MANIFEST_ACCEPT})
        if response.status_code == 404:
            return None
        self._check(response, doing)
        try:
            manifest = Manifest.from_bytes(response.content, response.headers.get("Content-Type"))
            manifest.document  # noqa: B018 - parse now so a broken manifest fails here
        except ManifestError as exc:
            raise ExternalServiceError(
                f"Cannot promote {ref} of {self.location.describe()}: {exc}.",
                hint="Only Docker v2 / OCI manifests and indexes can be promoted.") from None
        expected = ref.digest or response.headers.get("Docker-Content-Digest")
        if expected and expected != manifest.digest:
            raise ExternalServiceError(
                f"{self.location.registry} returned a manifest for {ref} whose sha256 is "
                f"{manifest.digest}, not {expected}.",
                hint="The registry or a proxy altered the manifest; do not promote it.")
        return manifest

    def get_manifests(self, digests: Sequence[str]) -> dict[str, Manifest]:
        """Manifests by digest (an index's children), each checked against its digest."""
        found = _parallel(lambda d: self.get_manifest(ImageRef(digest=d)), digests)
        missing = [d for d, m in zip(digests, found, strict=True) if m is None]
        if missing:
            raise NotFoundError(
                f"The index references {len(missing)} manifest(s) that "
                f"{self.location.describe()} does not hold, e.g. {missing[0]}.",
                hint="The source image is incomplete; rebuild and push it.")
        return {m.digest: m for m in found if m is not None}

    def missing_image(self, ref: ImageRef) -> NotFoundError:
        return NotFoundError(
            f"Image {self.location.registry}/{self.location.repository}:{ref} was not found.",
            hint="Check `source` (default sha-<commit>: was the image built and pushed for this "
                 "commit?) and `repository`.")

    def digest_of(self, reference: str) -> str | None:
        """The digest a tag (or digest) resolves to, or None: one HEAD."""
        doing = f"looking up {reference}"
        response = self._request("HEAD manifest", "HEAD", self._path("manifests", reference),
                                 doing, headers={"Accept": MANIFEST_ACCEPT},
                                 allow_redirects=False)
        if response.status_code == 404:
            return None
        self._check(response, doing)
        digest = response.headers.get("Docker-Content-Digest")
        if digest:
            return digest
        ref = ImageRef(digest=reference) if reference.startswith("sha256:") else \
            ImageRef(tag=reference)
        manifest = self.get_manifest(ref)  # a registry that does not say
        return manifest.digest if manifest else None

    def contents(self, tags: Sequence[str] = (), digests: Sequence[str] = ()) -> Contents:
        """Which of ``tags`` exist (and on which digest) and which of ``digests`` are stored:
        one HEAD each, several at a time."""
        answers = _parallel(self.digest_of, [*tags, *digests])
        found = dict(zip([*tags, *digests], answers, strict=True))
        return Contents({t: d for t in tags if (d := found[t])},
                        frozenset(d for d in digests if found[d]))

    def mutability(self) -> Mutability:
        """The distribution API has no tag-immutability setting to read: a registry that has
        one (Harbor, Artifact Registry, ACR) refuses the write itself (see ``put``)."""
        return Mutability()

    def put(self, manifest: Manifest, tag: str | None = None) -> bool:
        """Store ``manifest`` (under ``tag``); its bytes exactly, under its media type. False
        when the registry refused the write but ``tag`` already points at this digest."""
        return self._put(manifest, tag) is not None

    def _put(self, manifest: Manifest, tag: str | None) -> Response | None:
        reference = tag or manifest.digest
        doing = f"putting {reference}"
        response = self._request("PUT manifest", "PUT", self._path("manifests", reference),
                                 doing, data=manifest.data,
                                 headers={"Content-Type": manifest.media_type})
        if tag and 400 <= response.status_code < 500 and response.status_code not in (401, 403):
            current = self.digest_of(tag)
            if current == manifest.digest:
                return None
            if current is not None:
                raise ConflictError(
                    f"{self.location.registry} refused to move tag '{tag}' of "
                    f"{self.location.repository} from {current} to {manifest.digest}: "
                    f"{_registry_message(response)}",
                    hint="The registry may keep this tag immutable (a tag-immutability rule); "
                         "drop the tag from `tags` or change the rule.")
        self._check(response, doing)
        stored = response.headers.get("Docker-Content-Digest")
        if stored and stored != manifest.digest:
            raise ExternalServiceError(
                f"{self.location.registry} stored {reference} under digest {stored}, not "
                f"{manifest.digest}: it altered the manifest.")
        return response

    # ---- blobs ------------------------------------------------------------------------------

    def missing_blobs(self, digests: Sequence[str]) -> list[str]:
        """The blobs among ``digests`` this repository does not hold (one HEAD each)."""
        present = _parallel(self._has_blob, digests)
        return [d for d, here in zip(digests, present, strict=True) if not here]

    def _has_blob(self, digest: str) -> bool:
        doing = f"checking blob {digest}"
        response = self._request("HEAD blob", "HEAD", self._path("blobs", digest), doing,
                                 allow_redirects=False)
        if response.status_code == 404:
            return False
        self._check(response, doing)
        return True

    def open_blob(self, digest: str) -> io.RawIOBase:
        """The blob's bytes as a stream (redirects followed, credentials not sent along)."""
        doing = f"downloading blob {digest}"
        response = self._request("GET blob", "GET", self._path("blobs", digest), doing,
                                 stream=True)
        if response.status_code == 404:
            response.close()
            raise NotFoundError(f"Blob {digest} is missing from {self.location.describe()}.",
                                hint="The source image is incomplete; rebuild and push it.")
        self._check(response, doing)
        return _Body(response)

    def mount(self, digest: str, source: object) -> bool:
        """Mount the blob from ``source``'s repository when it is on this registry: no bytes
        move. False when it is elsewhere or the registry would not mount it."""
        if not (isinstance(source, OciRepository) and source.client is self.client
                and source.location != self.location):
            return False
        doing = f"mounting blob {digest} from {source.location.repository}"
        response = self._request("POST mount", "POST", self._path("blobs", "uploads/"), doing,
                                 params={"mount": digest, "from": source.location.repository})
        if response.status_code == 201:
            return True
        self._check(response, doing)
        location = response.headers.get("Location")  # 202: an upload started instead
        if location:
            self._request("DELETE upload", "DELETE", location, doing)
        return False

    def start_upload(self) -> tuple[str, int | None]:
        doing = "starting a blob upload"
        response = self._request("POST upload", "POST", self._path("blobs", "uploads/"), doing)
        self._check(response, doing)
        location = response.headers.get("Location")
        if not location:
            raise ExternalServiceError(f"{self.location.registry} started a blob upload "
                                       "without saying where to send it (no Location).")
        upload_id = self.client.url(location)
        with self._lock:
            self._uploads[upload_id] = upload_id
        return upload_id, STREAM_PART

    def upload(self, upload_id: str, parts: Iterator[bytes | bytearray],
               size: int | None = None) -> None:
        """The parts as one streamed PATCH, as docker and skopeo push: the registry writes while
        the source is still being read. With the size known the body has a Content-Length
        (each part goes to the socket as it is); otherwise chunked transfer encoding. (One
        PATCH per part, the spec's chunked upload, halves distribution 2.8's throughput: see
        the README.)"""
        doing = "uploading a blob"
        headers = {"Content-Type": "application/octet-stream"}
        if size is not None:
            headers["Content-Length"] = str(size)
        response = self._request("PATCH upload", "PATCH", self._uploads[upload_id], doing,
                                 data=parts, headers=headers)
        self._check(response, doing)
        location = response.headers.get("Location")
        with self._lock:
            self._uploads[upload_id] = self.client.url(location) if location else upload_id

    def complete_upload(self, upload_id: str, digest: str) -> None:
        """Close the upload under ``digest`` (the registry verifies it too). After an unclear
        failure the blob is looked up: present means the first attempt went through."""
        doing = f"completing the upload of blob {digest}"
        with self._lock:
            url = self._uploads.pop(upload_id)
        response = self._request("PUT upload", "PUT", url, doing, params={"digest": digest},
                                 headers={"Content-Type": "application/octet-stream"})
        if response.status_code in (201, 204) or (not response.ok and self._has_blob(digest)):
            return
        self._check(response, doing)

    def abort_upload(self, upload_id: str) -> None:
        """Cancel the upload session (best effort: registries expire abandoned ones)."""
        with self._lock:
            url = self._uploads.pop(upload_id, None)
        if url:
            with contextlib.suppress(ExternalServiceError):
                self._request("DELETE upload", "DELETE", url, "cancelling a blob upload")

    # ---- signatures and attestations ---------------------------------------------------------

    def attachments(self, digests: Sequence[str]) -> list[Attachment]:
        """What is attached to each of ``digests``: referrers (the OCI 1.1 API, or the fallback
        tag ``sha256-<hex>`` when the registry has no such API) and cosign's tags."""
        return [a for found in _parallel(self._attached, digests) for a in found]

    def _attached(self, digest: str) -> list[Attachment]:
        """The referrers and the cosign tags of ``digest``, looked up side by side."""
        stem = digest.replace(":", "-")
        tags = [ImageRef(tag=stem + suffix) for suffix in ATTACHED_TAGS]
        lookups: list[Callable[[], list[Attachment]]] = [
            lambda: [a for d in self.referrers(digest)
                     for a in self._attachment(digest, ImageRef(digest=str(d["digest"])))],
            *[lambda ref=ref: self._attachment(digest, ref) for ref in tags]]
        return [a for found in _parallel(lambda lookup: lookup(), lookups) for a in found]

    def _attachment(self, subject: str, ref: ImageRef) -> list[Attachment]:
        try:
            manifest = self.get_manifest(ref)
        except ExternalServiceError as exc:
            commands.warning(f"{exc.message} It is not copied.", title="Attachment skipped")
            return []
        if manifest is not None and manifest.is_index:
            commands.warning(f"{ref} attached to {subject} in {self.location.describe()} is an "
                             "index; attached indexes are not copied.", title="Attachment skipped")
            return []
        return [Attachment(manifest, subject, ref.tag)] if manifest else []

    def referrers(self, digest: str) -> list[dict[str, Any]]:
        """Descriptors of the manifests whose ``subject`` is ``digest``."""
        doing = f"listing the referrers of {digest}"
        response = self._request("GET referrers", "GET", self._path("referrers", digest), doing,
                                 headers={"Accept": OCI_INDEX})
        if response.status_code == 200:
            return _descriptors(response.content)
        if response.status_code not in (404, 400, 405):
            self._check(response, doing)
        index = self.get_manifest(ImageRef(tag=digest.replace(":", "-")))  # the fallback tag
        return _descriptors(index.data) if index and index.is_index else []

    def attach(self, attachment: Attachment) -> None:
        """Store an attachment: under its tag (cosign's scheme), or by digest, and then, when
        the registry did not index its subject itself (no ``OCI-Subject`` in the answer), in
        the subject's fallback tag ``sha256-<hex>`` as the OCI spec asks of clients."""
        manifest = attachment.manifest
        response = self._put(manifest, attachment.tag)
        subject = manifest.document.get("subject")
        if attachment.tag or not isinstance(subject, dict) or response is None \
                or "OCI-Subject" in response.headers:
            return
        tag = str(subject.get("digest", attachment.subject)).replace(":", "-")
        index = self.get_manifest(ImageRef(tag=tag))
        listed = _descriptors(index.data) if index and index.is_index else []
        if any(d.get("digest") == manifest.digest for d in listed):
            return
        document = manifest.document
        descriptor: dict[str, Any] = {"mediaType": manifest.media_type,
                                      "digest": manifest.digest, "size": len(manifest.data)}
        artifact_type = document.get("artifactType") or (document.get("config") or {}).get(
            "mediaType")
        if artifact_type:
            descriptor["artifactType"] = artifact_type
        if document.get("annotations"):
            descriptor["annotations"] = document["annotations"]
        fallback = {"schemaVersion": 2, "mediaType": OCI_INDEX,
                    "manifests": [*listed, descriptor]}
        self._put(Manifest(json.dumps(fallback, indent=2).encode(), OCI_INDEX), tag)

    # ---- errors -----------------------------------------------------------------------------

    def _check(self, response: Response, doing: str) -> None:
        if response.ok:
            return
        status = response.status_code
        message = _registry_message(response)
        response.close()
        what = self._doing(doing)
        if status == 403:
            raise PermissionDeniedError(
                f"{self.location.registry} denied {what}: {message}",
                hint="Check that the credentials may read the source and push to the target.")
        if status == 429:
            raise ExternalServiceError(
                f"{self.location.registry} rate-limited {what}: {message}",
                hint="Wait and re-run, or authenticate (anonymous pulls have lower limits).")
        raise ExternalServiceError(f"{self.location.registry} failed {what}: HTTP {status}: "
                                   f"{message}")


class _Body(io.RawIOBase):
    """A blob download, read straight from the socket into the caller's buffer (the part
    being filled): no copy of the bytes on the way. Registries do not compress blobs in
    transit (the transport asks for ``identity``)."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self._response = response

    @property
    def headers(self) -> Any:
        """The download's response headers (its declared ``Content-Length``)."""
        return self._response.headers

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._response.readinto(buffer)  # a failure is an OSError (ReadError)

    def close(self) -> None:
        self._response.close()
        super().close()


def _registry_message(response: Response) -> str:
    """The registry's error (``{"errors": [{"code", "message"}]}``), else the start of the body:
    text from outside, shortened, never interpreted."""
    try:
        response.content  # noqa: B018 - a streamed answer's body, read now
    except OSError:  # the body did not arrive: the status says enough
        return (response.reason or "")[:_MAX_MESSAGE]
    try:
        errors = response.json().get("errors") or []
        text = "; ".join(f"{e.get('code', '')}: {e.get('message', '')}" for e in errors)
    except (ValueError, AttributeError):
        text = response.text.strip()
    return (text or response.reason or "")[:_MAX_MESSAGE]


def _descriptors(data: bytes) -> list[dict[str, Any]]:
    try:
        document = json.loads(data)
    except ValueError:
        return []
    manifests = document.get("manifests") if isinstance(document, dict) else None
    return [d for d in manifests or [] if isinstance(d, dict) and isinstance(d.get("digest"), str)]


def _parallel(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[function(i) for i in items]``, a few at a time (network lookups); the first error
    is raised."""
    items = list(items)
    if len(items) <= 1:
        return [function(i) for i in items]
    # Imported here: a retag's single look-ups need no threads, nor the logging module
    # concurrent.futures imports (~5 ms of start-up).
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    with ThreadPoolExecutor(max_workers=min(LOOKUPS, len(items)),
                            thread_name_prefix="registry-lookup") as pool:
        return list(pool.map(function, items))
