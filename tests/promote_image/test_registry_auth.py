"""Registry challenges, Docker config credentials and repository references: pure, no server."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from release_kit.errors import InputError
from release_kit.registry.auth import basic, config_path, from_docker_config, parse_challenge
from release_kit.registry.references import Location, OciLocation, parse_repository


def test_bearer_challenge_with_quoted_commas_and_several_scopes() -> None:
    challenge = parse_challenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:acme/web:pull,push repository:acme/base:pull",error="insufficient_scope"')
    assert challenge is not None
    assert challenge.scheme == "bearer"
    assert challenge.realm == "https://auth.docker.io/token"
    assert challenge.params["service"] == "registry.docker.io"
    assert challenge.params["scope"] == "repository:acme/web:pull,push repository:acme/base:pull"
    assert challenge.params["error"] == "insufficient_scope"


def test_basic_challenge_and_garbage() -> None:
    basic_challenge = parse_challenge('Basic realm="Registry Realm"')
    assert basic_challenge is not None and basic_challenge.scheme == "basic"
    assert basic_challenge.realm == "Registry Realm"
    assert parse_challenge("") is None
    odd = parse_challenge('Bearer realm="a\\"b",service=unquoted')
    assert odd is not None and odd.realm == 'a"b' and odd.params["service"] == "unquoted"


def write_config(folder: Path, auths: dict[str, object]) -> dict[str, str]:
    (folder / "config.json").write_text(json.dumps({"auths": auths}))
    return {"DOCKER_CONFIG": str(folder)}


def encoded(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_docker_config_entries(tmp_path: Path) -> None:
    env = write_config(tmp_path, {
        "https://index.docker.io/v1/": {"auth": encoded("hubuser", "hub:pass")},
        "ghcr.io": {"username": "octo", "password": "ghp_x"},
        "https://myregistry.azurecr.io": {"identitytoken": "refresh-token"},
        "localhost:5000/": {"auth": encoded("local", "pw")},
    })
    hub = from_docker_config("docker.io", env)
    assert hub is not None and (hub.username, hub.password) == ("hubuser", "hub:pass")
    assert "docker.io" in hub.origin and "hub:pass" not in hub.origin + repr(hub)
    ghcr = from_docker_config("ghcr.io", env)
    assert ghcr is not None and (ghcr.username, ghcr.password) == ("octo", "ghp_x")
    acr = from_docker_config("myregistry.azurecr.io", env)
    assert acr is not None and acr.identity_token == "refresh-token"
    local = from_docker_config("localhost:5000", env)
    assert local is not None and local.password == "pw"
    assert from_docker_config("quay.io", env) is None
    assert basic(ghcr) == "Basic " + encoded("octo", "ghp_x")


def test_docker_config_location_and_faults(tmp_path: Path) -> None:
    assert config_path({"HOME": "/home/x"}) == Path("/home/x/.docker/config.json")
    assert config_path({"DOCKER_CONFIG": "/cfg", "HOME": "/home/x"}) == Path("/cfg/config.json")
    assert from_docker_config("ghcr.io", {"DOCKER_CONFIG": str(tmp_path / "none")}) is None
    env = write_config(tmp_path, {"ghcr.io": {"auth": "not base64 at all!"}})
    with pytest.raises(InputError) as err:
        from_docker_config("ghcr.io", env)
    assert "base64(username:password)" in err.value.message
    (tmp_path / "config.json").write_text("[1, 2]")
    with pytest.raises(InputError):
        from_docker_config("ghcr.io", env)


@pytest.mark.parametrize(("value", "expected"), [
    ("acme/web", Location("acme/web", "eu-west-1")),
    ("123456789012.dkr.ecr.us-east-2.amazonaws.com/acme/web",
     Location("acme/web", "us-east-2", "123456789012")),
    ("ghcr.io/acme/web", OciLocation("ghcr.io", "acme/web")),
    ("docker.io/nginx", OciLocation("docker.io", "library/nginx")),
    ("index.docker.io/acme/web", OciLocation("docker.io", "acme/web")),
    ("localhost:5000/a/b/c", OciLocation("localhost:5000", "a/b/c")),
])
def test_repository_references(value: str, expected: object) -> None:
    assert parse_repository(value, "repository", region="eu-west-1") == expected


def test_oci_base_urls() -> None:
    assert OciLocation("docker.io", "library/x").base_url == "https://registry-1.docker.io"
    assert OciLocation("ghcr.io", "a/b").base_url == "https://ghcr.io"
    assert OciLocation("127.0.0.1:5000", "a/b").base_url == "http://127.0.0.1:5000"
    assert OciLocation("localhost", "a/b").base_url == "http://localhost"
    assert OciLocation("[::1]:5000", "a/b").base_url == "http://[::1]:5000"
    assert OciLocation("localhost.example.com", "a/b").base_url == "https://localhost.example.com"


@pytest.mark.parametrize("value", ["ghcr.io/Acme/web", "ghcr.io/", "bad_host!.io/a", "ghcr.io/a//b"])
def test_bad_references_name_the_input(value: str) -> None:
    with pytest.raises(InputError) as err:
        parse_repository(value, "target-repository", region="eu-west-1")
    assert err.value.title == "Invalid input 'target-repository'"
