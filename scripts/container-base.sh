#!/bin/sh
# Prepare podman on a machine without a Docker engine or an image registry, so that the
# project's Dockerfile can be built and run there (tests/test_docker.py uses this).
#
#   scripts/container-base.sh [--conf PATH] [--tag TAG] [--force]
#
# 1. Writes a containers.conf (default: build/containers.conf) with runtime runc (crun fails
#    on these hosts' hybrid cgroups) and explicit ulimits (podman's default RLIMIT_NOFILE
#    cannot be set here). Point CONTAINERS_CONF at it for every podman call.
# 2. Builds a local stand-in for python:3.11-slim (default tag localhost/tolk-pybase:bookworm)
#    unless that image exists already (--force rebuilds it): debootstrap --variant=minbase
#    from the host's Debian mirror, python3 + python3-venv + python3-pip + ca-certificates,
#    plus the host's local CAs (/usr/local/share/ca-certificates/*.crt) so that pip inside a
#    build trusts an HTTPS-intercepting proxy. The project's Dockerfile stays unaware of it.
#
# Then: CONTAINERS_CONF="$PWD/build/containers.conf" podman build --format docker --network host \
#           --build-arg BASE_IMAGE=localhost/tolk-pybase:bookworm -t tolk .
# Needs root, podman, debootstrap (Debian packages podman runc debootstrap).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONF="$ROOT/build/containers.conf"
TAG="localhost/tolk-pybase:bookworm"
SUITE=bookworm
FORCE=0
while [ $# -gt 0 ]; do
    case "$1" in
        --conf) CONF=$2; shift 2 ;;
        --tag) TAG=$2; shift 2 ;;
        --force) FORCE=1; shift ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "container-base.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

mkdir -p "$(dirname "$CONF")"
cat > "$CONF" <<'EOF'
# Written by scripts/container-base.sh: podman settings for hosts without Docker.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
EOF
CONTAINERS_CONF=$CONF
export CONTAINERS_CONF
echo "containers.conf: $CONF"

if [ "$FORCE" = 0 ] && podman image exists "$TAG"; then
    echo "base image: $TAG (exists)"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "container-base.sh: debootstrap needs root" >&2
    exit 1
fi
for tool in debootstrap podman; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "container-base.sh: $tool is missing (apt-get install podman runc debootstrap)" >&2
        exit 1
    }
done

# The host's Debian mirror (deb822 "URIs:" or one-line "deb URL suite ..."), for the main
# archive and for security updates.
sources=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
              /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
uris=$(printf '%s\n' "$sources" | awk '
    /^[[:space:]]*#/ { next }
    $1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }
    $1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }')
MIRROR=$(printf '%s\n' "$uris" | grep -E '/debian/?$' | head -n1 || true)
SECURITY=$(printf '%s\n' "$uris" | grep -E '/debian-security/?$' | head -n1 || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
MIRROR=${MIRROR%/}
SECURITY=${SECURITY%/}
echo "base image: building $TAG from $MIRROR ($SUITE)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tolk-rootfs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOTFS=$WORK/rootfs

debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    "$SUITE" "$ROOTFS" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 || {
    tail -n 30 "$WORK/debootstrap.log" >&2
    exit 1
}

{
    echo "Types: deb"
    echo "URIs: $MIRROR"
    echo "Suites: $SUITE $SUITE-updates"
    echo "Components: main"
    echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
    if [ -n "$SECURITY" ]; then
        echo
        echo "Types: deb"
        echo "URIs: $SECURITY"
        echo "Suites: $SUITE-security"
        echo "Components: main"
        echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
    fi
} > "$ROOTFS/etc/apt/sources.list.d/debian.sources"
: > "$ROOTFS/etc/apt/sources.list"

# The host's extra CAs (e.g. an HTTPS proxy's), trusted by apt, pip and Python in builds.
for crt in /usr/local/share/ca-certificates/*.crt; do
    [ -e "$crt" ] && cp "$crt" "$ROOTFS/usr/local/share/ca-certificates/"
done
chroot "$ROOTFS" update-ca-certificates > "$WORK/ca.log" 2>&1 || { cat "$WORK/ca.log" >&2; exit 1; }

# Like python:*-slim: no apt lists, no package cache, no docs.
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/* \
       "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/var/log/*.log

tar -C "$ROOTFS" --numeric-owner -cf - . | podman import --quiet \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["python3"]' \
    --message "Debian $SUITE minbase + python3 (tolk scripts/container-base.sh)" \
    - "$TAG" > /dev/null
echo "base image: $TAG built"
