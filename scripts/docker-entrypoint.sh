#!/bin/sh
# The image's entrypoint: make sure the data folder is writable, then run the command.
#
# An empty bind mount on /data keeps the host folder's owner (often root), and Tolk runs as
# uid 10001: without this check the first write was a 500 and `tolk index` a traceback.
# - started as root (docker run --user 0 ...): give the data folder to 10001 and drop to it;
# - started as another user: if the folder is not writable, stop with the exact chown to run.
set -eu

TOLK_UID=10001
TOLK_GID=10001
index_dir=${TOLK_INDEX_DIR:-/data/index}
data_dir=$(dirname "$index_dir")

# The host path of a bind mount on the data folder, if the mount table shows it.
host_path() {
    awk -v target="$data_dir" '$5 == target { print $4; exit }' /proc/self/mountinfo 2>/dev/null
}

# An index in a volume built by an older Tolk (another text analysis) is reindexed from its
# stored documents before the server starts, instead of answering 503 index_outdated.
as_tolk() { if [ "$(id -u)" = 0 ]; then setpriv --reuid="$TOLK_UID" --regid="$TOLK_GID" \
    --clear-groups -- "$@"; else "$@"; fi; }
reindex_if_outdated() {
    if [ "${1:-}" = gunicorn ] && [ -e "$index_dir/current" ]; then
        as_tolk tolk reindex --if-outdated --quiet --index-dir "$index_dir"
    fi
}

if [ "$(id -u)" = 0 ]; then
    mkdir -p "$data_dir"
    if [ "$(stat -c %u "$data_dir")" != "$TOLK_UID" ] || { [ -e "$index_dir" ] &&
            [ "$(stat -c %u "$index_dir")" != "$TOLK_UID" ]; }; then
        echo "tolk-entrypoint: giving $data_dir to uid $TOLK_UID" >&2
        chown -R "$TOLK_UID:$TOLK_GID" "$data_dir"
    fi
    reindex_if_outdated "$@"
    exec setpriv --reuid="$TOLK_UID" --regid="$TOLK_GID" --clear-groups -- "$@"
fi

if [ ! -w "$data_dir" ] || { [ -e "$index_dir" ] && [ ! -w "$index_dir" ]; }; then
    owner=$(stat -c %u "$data_dir" 2>/dev/null || echo "?")
    source=$(host_path)
    [ -n "$source" ] && [ "$source" != "/" ] || source="<the host folder you mounted on $data_dir>"
    {
        echo "tolk: $data_dir is not writable by uid $(id -u) (it belongs to uid $owner)."
        echo "An empty bind mount keeps the host folder's owner. Fix it on the host with:"
        echo "    sudo chown -R $TOLK_UID:$TOLK_GID $source"
        echo "or let the container fix it once: docker run --rm --user 0 -v $source:$data_dir IMAGE true"
    } >&2
    exit 78  # EX_CONFIG
fi

reindex_if_outdated "$@"
exec "$@"
