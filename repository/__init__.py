"""The storage side: object stores, the key layout, item records and their provenance."""

from repository.config import StoreConfig, open_store
from repository.keys import blob_key, record_key
from repository.local import LocalStore
from repository.records import DamagedRecord, RecordNotFound, RecordStore, make_event, now_iso
from repository.store import Blob, ObjectInfo, ObjectNotFound, ObjectStore, StorageError

__all__ = [
    "Blob",
    "DamagedRecord",
    "LocalStore",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "RecordNotFound",
    "RecordStore",
    "StorageError",
    "StoreConfig",
    "open_store",
    "blob_key",
    "make_event",
    "now_iso",
    "record_key",
]
