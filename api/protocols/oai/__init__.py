"""OAI-PMH 2.0 data provider, split by concern as invenio-oaiserver does: `verbs` (the six verbs
and their arguments), `response` (the XML), `tokens` (signed resumption tokens), `catalogue`
(which records exist for harvesters), `errors` (the protocol's error codes)."""

from api.protocols.oai.verbs import PAGE_SIZE, OaiRepository

__all__ = ["PAGE_SIZE", "OaiRepository"]
