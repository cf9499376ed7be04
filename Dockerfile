# Tolk: the search API and page, served by gunicorn, with the seeds indexed at build time.
#
#   docker build -t tolk .
#   docker run -p 8000:8000 -e TOLK_API_KEY=secret -v tolk-data:/data tolk
#   docker compose up -d          (compose.yaml: the same with a named volume)
#
# BASE_IMAGE lets a machine without an image registry build from a local Debian image with
# python3 (see scripts/container-base.sh); anything with Python 3.11+ and python3 -m venv works.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

SHELL ["/bin/sh", "-eu", "-c"]

# FreeDict nld-eng / eng-nld (GPL, so taken from Debian, not the repo): a source of the
# cross-language lexicon, read from /usr/share/dictd. Versions follow the base image's suite.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends dict-freedict-nld-eng dict-freedict-eng-nld \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*

RUN groupadd --gid 10001 tolk \
 && useradd --no-log-init --uid 10001 --gid 10001 --home-dir /home/tolk \
        --create-home --shell /usr/sbin/nologin tolk

WORKDIR /src

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
# The list is read from pyproject.toml itself (build requirements + runtime dependencies),
# so there is no second list to keep in sync.
COPY pyproject.toml ./
RUN python3 -m venv "$VIRTUAL_ENV" \
 && python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb")); print("\n".join(p["build-system"]["requires"] + p["project"]["dependencies"]))' > /tmp/requirements.txt \
 && pip install --requirement /tmp/requirements.txt \
 && rm /tmp/requirements.txt \
 && find "$VIRTUAL_ENV" -path '*/wordfreq/data/*' -type f \
      ! -name '*_nl.msgpack.gz' ! -name '*_en.msgpack.gz' -delete
# (wordfreq ships 58 MB of word lists for 40 languages; Tolk reads only Dutch and English.)

# The code, installed without dependencies and without network (setuptools is in the venv).
COPY README.md ./
COPY index/ index/
COPY service/ service/
RUN pip install --no-deps --no-build-isolation . \
 && rm -rf /src

# The entrypoint checks that /data is writable (an empty bind mount keeps the host's owner):
# as root it gives /data to 10001 and drops to it, otherwise it stops with the chown to run.
COPY scripts/docker-entrypoint.sh /usr/local/bin/tolk-entrypoint

# The index lives in /data/index, owned by the non-root user; the seeds are indexed now so
# that a fresh container answers at once. Mount a volume on /data to keep your own index.
COPY seeds/ /opt/tolk/seeds/
RUN mkdir -p /data && chown 10001:10001 /data
ENV TOLK_INDEX_DIR=/data/index \
    PORT=8000 \
    WEB_CONCURRENCY=2
WORKDIR /home/tolk
USER 10001:10001
RUN tolk index --quiet --index-dir "$TOLK_INDEX_DIR" /opt/tolk/seeds
VOLUME ["/data"]

EXPOSE 8000
# Readiness, not liveness: healthy only when the index opens and a probe search succeeds.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/health/ready' % os.environ.get('PORT', '8000'), timeout=4)"]

# No --bind here: gunicorn binds 0.0.0.0:$PORT by itself and takes its worker count from
# WEB_CONCURRENCY. The worker class (gevent: slow clients cannot hold a worker), timeouts,
# limits and hooks (settings check, metrics across workers, warm-up, JSON log lines) come from
# service/gunicorn_conf.py, the same file `tolk serve` uses. GUNICORN_CMD_ARGS sets any other
# option (e.g. "--bind=127.0.0.1:9000") and wins over it.
ENTRYPOINT ["tolk-entrypoint"]
CMD ["gunicorn", "--config", "python:service.gunicorn_conf", "service:create_app()"]
