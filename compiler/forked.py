"""Run one function in a forked process while this one goes on; its result comes back pickled.

`kfroster drift` compiles the roster (0.9 s at 10,000 users) while it reads the cluster
(2.3 s): the machines it runs on have two cores, and the two do not depend on each other.
A forked child inherits everything imported and loaded so far, runs the function, writes
its pickled result to a pipe and ends with os._exit (nothing of this process's flushed
twice, no exit handler run).

Nothing about the result depends on the child: where there is no fork (only Linux forks
here: macOS's system libraries do not survive it), or when anything fails on the way
(the function raises, the child dies, the result cannot be pickled), the function runs
again in this process, so its result and any error it raises are exactly a plain call's.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")

_OK = 0
_FAILED = 1


class Forked(Generic[T]):
    """`work()` run in a child from the moment this is made; `result()` waits for it.

    Use it as a context manager: leaving the block without taking the result (an error in
    the parent's own work) stops waiting for the child and reaps it.
    """

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self._pipe: int | None = None
        self._child = 0
        if sys.platform.startswith("linux"):
            self._start()

    def _start(self) -> None:
        try:
            reading, writing = os.pipe()
        except OSError:
            return
        try:
            child = os.fork()
        except OSError:
            os.close(reading)
            os.close(writing)
            return
        if child == 0:  # pragma: no cover - runs in the child, which ends with os._exit
            os.close(reading)
            status = _FAILED
            try:
                payload = pickle.dumps(self._work(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(writing, "wb") as pipe:
                    pipe.write(payload)
                status = _OK
            except BaseException:  # the parent runs the work itself
                pass
            os._exit(status)
        os.close(writing)
        self._pipe, self._child = reading, child

    @property
    def forked(self) -> bool:
        """Tell whether a child runs the work and its result is still to take."""
        return self._pipe is not None

    def result(self) -> T:
        """Return the child's result; run the work here when there is none."""
        if self._pipe is None:
            return self._work()
        with os.fdopen(self._pipe, "rb") as pipe:
            self._pipe = None
            payload = pipe.read()
        _pid, status = os.waitpid(self._child, 0)
        if status != 0 or not payload:
            return self._work()
        try:
            result: T = pickle.loads(payload)  # our own child wrote it
        except Exception:  # a result that does not unpickle is no result
            return self._work()
        return result

    def __enter__(self) -> Forked[T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._pipe is not None:  # the result will not be taken: stop the child
            os.close(self._pipe)
            self._pipe = None
            os.kill(self._child, signal.SIGKILL)
            os.waitpid(self._child, 0)
