"""`OpenSearchIndex`: the shared cluster backend (`search.cluster`) on `opensearch-py`.

Quirk: opensearch-py sets timeouts per client, so bulk loads use a second client with a longer
timeout instead of per-call options.
"""

from __future__ import annotations

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import ConnectionError, OpenSearchException

from search.cluster import ClusterIndex, Engine

TIMEOUT = 10.0
BULK_TIMEOUT = 120.0
MAX_RETRIES = 1


def _client(url: str, timeout: float) -> OpenSearch:
    return OpenSearch([url], timeout=timeout, max_retries=MAX_RETRIES, retry_on_timeout=True)


class OpenSearchIndex(ClusterIndex):
    backend = "opensearch"

    def __init__(self, url: str, index_name: str = "heritage", *, timeout: float = TIMEOUT):
        engine = Engine(
            name="OpenSearch",
            client=_client(url, timeout),
            slow_client=_client(url, BULK_TIMEOUT),
            streaming_bulk=helpers.streaming_bulk,
            unreachable=(ConnectionError,),  # ConnectionTimeout is a ConnectionError here
            failures=(OpenSearchException,),
        )
        super().__init__(url, index_name, engine)
