"""`ElasticsearchIndex`: the shared cluster backend (`search.cluster`) on the official client.

The 8.x `elasticsearch` client speaks to 8.x and 9.x servers. Only `cluster.health` is used for
health: a server without the rest-root module answers `GET /` with 405, so `ping()` would lie.
"""

from __future__ import annotations

from elastic_transport import ConnectionError, ConnectionTimeout, TransportError
from elasticsearch import ApiError, Elasticsearch, helpers

from search.cluster import ClusterIndex, Engine

TIMEOUT = 10.0
BULK_TIMEOUT = 120.0
MAX_RETRIES = 1


class ElasticsearchIndex(ClusterIndex):
    backend = "elasticsearch"

    def __init__(self, url: str, index_name: str = "heritage", *, timeout: float = TIMEOUT):
        client = Elasticsearch(
            url, request_timeout=timeout, max_retries=MAX_RETRIES, retry_on_timeout=True
        )
        engine = Engine(
            name="Elasticsearch",
            client=client,
            slow_client=client.options(request_timeout=BULK_TIMEOUT),
            streaming_bulk=helpers.streaming_bulk,
            unreachable=(ConnectionError, ConnectionTimeout),
            failures=(ApiError, TransportError),
        )
        super().__init__(url, index_name, engine)
