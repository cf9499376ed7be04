"""The HTTP client: ``opensearch-py``'s transport, every failure translated.

``opensearch-py`` (the project's official client) rather than raw HTTP: it does
connection pooling across gunicorn threads, basic auth, TLS verification and
serialization, and its exceptions carry the status and OpenSearch's error body,
which ``errors.translate`` turns into Tolk's errors. Only ``perform_request`` is
used, so the requests Tolk sends are the documented REST calls, written out here.
"""

from __future__ import annotations

import logging

from index.backends.opensearch.errors import translate

DEFAULT_TIMEOUT = 10.0


class Client:
    def __init__(self, url: str, user: str = "", password: str = "",
                 timeout: float = DEFAULT_TIMEOUT):
        from opensearchpy import OpenSearch

        # The client logs every failed request with a traceback; Tolk logs one line per
        # failure itself (service/errors.py), with what to do.
        logging.getLogger("opensearch").setLevel(logging.ERROR)

        self.url = url.rstrip("/")
        auth = (user, password) if user else None
        self._os = OpenSearch(hosts=[self.url], http_auth=auth, timeout=timeout,
                              max_retries=1, retry_on_timeout=False)

    def request(self, method: str, path: str, body=None, params: dict | None = None,
                ndjson: bool = False, ignore: tuple = ()):
        """The decoded answer of one REST call; raises Tolk's backend errors."""
        from opensearchpy.exceptions import OpenSearchException

        headers = {"content-type": "application/x-ndjson"} if ndjson else None
        try:
            return self._os.transport.perform_request(method, path, params=params or {},
                                                      body=body, headers=headers,
                                                      ignore=ignore)
        except OpenSearchException as exc:
            raise translate(exc, self.url) from None

    def close(self) -> None:
        self._os.close()
