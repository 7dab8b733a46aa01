"""Running store work on a worker thread, for every route that reads the store.

pyoxigraph results must be dropped on the thread that made them. A failure's traceback
keeps the worker's frames (and the results in them) alive until the event loop handles
it, so the frames are cleared on the worker before the error travels.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def release_frames(exc: BaseException | None) -> None:
    """Clear the frames of ``exc`` and of every error it was raised from or during."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if exc.__traceback__ is not None:
            traceback.clear_frames(exc.__traceback__)
        exc = exc.__cause__ or exc.__context__


def on_worker(work: Callable[[], T]) -> Callable[[], T]:
    """``work`` wrapped so that a failure releases its frames before it leaves the worker."""

    def run() -> T:
        try:
            return work()
        except BaseException as exc:
            release_frames(exc)
            raise

    return run
