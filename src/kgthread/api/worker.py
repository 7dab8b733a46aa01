"""Running store work on a worker thread, for every route that reads the store.

pyoxigraph results must be dropped on the thread that made them. A failure's traceback
keeps the worker's frames (and the results in them) alive until the event loop handles
it, so the frames are cleared on the worker before the error travels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kgthread.errors import release_frames

T = TypeVar("T")


def on_worker(work: Callable[[], T]) -> Callable[[], T]:
    """``work`` wrapped so that a failure releases its frames before it leaves the worker."""

    def run() -> T:
        try:
            return work()
        except BaseException as exc:
            release_frames(exc)
            raise

    return run
