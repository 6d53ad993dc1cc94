"""Sharing protocols: OAI-PMH, IIIF, the RDF mapping, exports, share links."""
