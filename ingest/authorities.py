"""Link an item to the authority records its manifest row names (docs/authorities.md).

The `project` column (项目) and the bearers of the `bearers` (传承人) and `people` columns are
looked up with `AuthorityStore.find_by_name`, which sees through 简繁, pinyin and tone marks: a
value that names exactly one authority of its kind adds `{kind, id}` to the record's
`authorities`. A value that names none, or several, links nothing and becomes a warning naming the
row, the column and the candidates: an authority is never made up or guessed by ingest, so no
duplicate appears. A repository holding no authority of a kind yet is not using them: its values
are left as text without a warning. Runs in the main process, before the workers start.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from ingest.manifest import ManifestRow
from ingest.metadata import person
from repository.authorities import AuthorityStore

MAX_CANDIDATES = 10
_REPR = r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
_UNKNOWN = re.compile(rf": no (project|bearer) authority is named {_REPR}; not linked")
_AMBIGUOUS = re.compile(rf": {_REPR} names \d+ (project|bearer) authorities: ")


def read_unlinked(warning: str) -> tuple[str, str] | None:
    """(kind, name) of a value a `Linker.link` warning says was not linked (unknown or
    ambiguous); None for any other warning. The workspace offers to make it an authority."""
    if found := _UNKNOWN.search(warning):
        kind, quoted = found.groups()
    elif found := _AMBIGUOUS.search(warning):
        quoted, kind = found.groups()
    else:
        return None
    name = ast.literal_eval(quoted)
    return (kind, name) if isinstance(name, str) else None


class Linker:
    """Looks rows up in one store for a whole run (its name index is built once)."""

    def __init__(self, authorities: AuthorityStore):
        self.authorities = authorities
        self._in_use: dict[str, bool] = {}

    def in_use(self, kind: str) -> bool:
        if kind not in self._in_use:
            self._in_use[kind] = any(True for _ in self._ids(kind))
        return self._in_use[kind]

    def _ids(self, kind: str) -> Any:
        return (i for i in self.authorities.ids() if i.startswith(f"{kind}-"))

    def link(self, fields: dict[str, Any], row: ManifestRow) -> list[str]:
        """Add `authorities` to `fields` for what the row names; the warnings for the rest."""
        wanted: list[tuple[str, str, str]] = [  # (kind, column, value)
            ("project", "project", value) for value in row.values.get("project", [])
        ]
        for column, default in (("bearers", "bearer"), ("people", "creator")):
            for entry in row.values.get(column, []):
                named = person(row, column, entry, default)
                if named["role"] == "bearer":
                    wanted.append(("bearer", column, named["name"]))
        links: list[dict[str, str]] = list(fields.get("authorities", []))
        warnings: list[str] = []
        for kind, column, value in wanted:
            if not self.in_use(kind):
                continue
            found = self.authorities.find_by_name(value, kind=kind)
            if len(found) == 1:
                link = {"kind": kind, "id": found[0].id}
                if link not in links:
                    links.append(link)
                continue
            where = f"{row.where}: {row.column(column)}"
            if not found:
                warnings.append(
                    f"{where}: no {kind} authority is named {value!r}; not linked "
                    "(add it with `heritage authorities import`, or write its id)"
                )
                continue
            shown = "; ".join(f"{m.id} ({m.name})" for m in found[:MAX_CANDIDATES])
            more = f" and {len(found) - MAX_CANDIDATES} more" if len(found) > MAX_CANDIDATES else ""
            warnings.append(
                f"{where}: {value!r} names {len(found)} {kind} authorities: {shown}{more}; "
                "not linked (write the id of the one meant)"
            )
        if links:
            fields["authorities"] = links
        return warnings
