"""The floor of a Python retag: the three requests a one-tag retag needs, nothing else.

GET the source manifest (every manifest type accepted), HEAD the new tag (is it taken?), PUT
the same bytes under it, on one keep-alive connection of the standard library's http.client:
no inputs, checks, authentication, retries, outputs or summary. The OCI benchmark runs it
beside promote-image and skopeo, so that the part of a retag's wall time that is the Python
process itself (interpreter and http.client) is measured, not guessed.

    python tests/bench/floor_retag.py HOST:PORT REPOSITORY SOURCE_TAG NEW_TAG
"""

import http.client
import sys

ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json"])


def main(host: str, repository: str, source: str, tag: str) -> int:
    connection = http.client.HTTPConnection(host, timeout=30)
    connection.request("GET", f"/v2/{repository}/manifests/{source}", headers={"Accept": ACCEPT})
    response = connection.getresponse()
    manifest, media_type = response.read(), response.getheader("Content-Type") or ""
    connection.request("HEAD", f"/v2/{repository}/manifests/{tag}", headers={"Accept": ACCEPT})
    taken = connection.getresponse()
    taken.read()
    if taken.status == 200:
        return 0
    connection.request("PUT", f"/v2/{repository}/manifests/{tag}", body=manifest,
                       headers={"Content-Type": media_type})
    put = connection.getresponse()
    put.read()
    return 0 if put.status == 201 else 1


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:5]))
