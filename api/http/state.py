"""Objects one app keeps for its lifetime (key ring, item locks, caches), made on first use.

Made under a lock: two first requests racing must not build two `ItemLocks`, which would let two
writers of one item both pass their check.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from fastapi import Request

from api.services import Services

T = TypeVar("T")
_making = threading.Lock()


def shared(request: Request, name: str, make: Callable[[Services], T]) -> T:
    """`app.state.<name>`, made by `make(services)` the first time it is asked for."""
    state = request.app.state
    found: T | None = getattr(state, name, None)
    if found is None:
        with _making:
            found = getattr(state, name, None)
            if found is None:
                found = make(state.services)
                setattr(state, name, found)
    return found
