"""OpenSearch failures as Tolk's errors: the cluster down is 503, a refused request 4xx.

A user of Tolk's API should not see an engine's stack of exceptions, nor a 500
for a cluster that is restarting. Connection refused, timeouts, 5xx, 429 and
refused credentials (a deployment fault, not the caller's) become
``BackendUnavailable`` (503, Retry-After); any other 4xx becomes a
``BackendRequestError`` with OpenSearch's reason, status 400 (404 stays 404).
"""

from __future__ import annotations

from index.backends.base import BackendRequestError, BackendUnavailable


def _reason(info) -> str:
    if isinstance(info, dict):
        error = info.get("error", info)
        if isinstance(error, dict):
            cause = (error.get("root_cause") or [{}])[0]
            return str(cause.get("reason") or error.get("reason") or error.get("type") or error)
        return str(error)
    return str(info or "")[:300]


def translate(exc: Exception, url: str) -> Exception:
    """The Tolk exception for an ``opensearchpy`` exception ``exc``."""
    from opensearchpy import exceptions as os_exc

    if isinstance(exc, (os_exc.ConnectionError, os_exc.ConnectionTimeout)):
        return BackendUnavailable(
            f"the OpenSearch cluster at {url} cannot be reached; check that it runs and "
            "TOLK_OPENSEARCH_URL", detail=str(exc)[:300])
    if isinstance(exc, os_exc.TransportError):
        status = exc.status_code if isinstance(exc.status_code, int) else 503
        reason = _reason(exc.info) or str(exc.error)
        if status in (401, 403):
            return BackendUnavailable(
                f"the OpenSearch cluster at {url} refused Tolk's credentials ({status}); check "
                "TOLK_OPENSEARCH_USER and TOLK_OPENSEARCH_PASSWORD", detail=reason)
        if status == 429 or status >= 500:
            return BackendUnavailable(
                f"the OpenSearch cluster at {url} failed ({status}: {reason}); try again",
                detail=reason)
        if status == 404:
            return BackendRequestError(404, "not_found", f"OpenSearch: {reason}")
        return BackendRequestError(400, "backend_rejected",
                                   f"OpenSearch refused the request: {reason}")
    return BackendUnavailable(f"OpenSearch request failed: {exc}", detail=repr(exc)[:300])
