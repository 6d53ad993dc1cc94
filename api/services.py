"""The one place that turns configuration into live objects (store, records, index)."""

from __future__ import annotations

from dataclasses import dataclass

from api.settings import Settings
from repository import ObjectStore, RecordStore, StoreConfig, open_store
from search import open_index
from search.base import SearchIndex


@dataclass
class Services:
    settings: Settings
    store_config: StoreConfig
    store: ObjectStore
    records: RecordStore
    index: SearchIndex

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        store_config = settings.store_config()
        store = open_store(store_config)
        index = open_index(
            settings.search,
            sqlite_path=settings.sqlite_path,
            url=settings.search_url,
            index_name=settings.search_index,
        )
        return cls(settings, store_config, store, RecordStore(store), index)

    def close(self) -> None:
        self.index.close()
