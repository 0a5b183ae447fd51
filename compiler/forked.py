"""Run some work in a forked process while this one goes on; each result comes back pickled.

`kfroster drift` compiles the roster (0.9 s at 10,000 users), then checks the dump's keys
(1.5 s), in a child, while it reads the dump (1.8 s): the machines it runs on have two
cores, and these do not depend on each other. A forked child inherits everything imported
and loaded so far, runs the steps in order, and ends with os._exit (nothing of this
process's flushed twice, no exit handler run). Each step's pickled result goes to an
unlinked temporary file and its place to a pipe, so the child never waits for this
process to read one result before it starts the next step.

Nothing about a result depends on the child: where there is no fork (only Linux forks
here: macOS's system libraries do not survive it), or when anything fails on the way (a
step raises, the child dies, a result cannot be pickled), the step runs again in this
process, so each result, and any error a step raises, is exactly a plain call's.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
import tempfile
from collections.abc import Callable
from types import TracebackType
from typing import IO, Any, TypeVar

T = TypeVar("T")

_PLACE = struct.Struct("<qq")  # where a result starts in the file, and its length
_FAILED = -1


class Forked:
    """`steps` run in order in a child from the moment this is made; result(step) waits for one.

    Use it as a context manager: leaving the block stops the child and reaps it, whether
    or not every result was taken.
    """

    def __init__(self, *steps: Callable[[], Any]) -> None:
        self._steps = steps
        self._places: list[tuple[int, int]] = []  # read from the pipe so far, in order
        self._pipe: IO[bytes] | None = None
        self._results: IO[bytes] | None = None
        self._child = 0
        if sys.platform.startswith("linux"):
            self._start()

    def _start(self) -> None:
        try:
            results = tempfile.TemporaryFile()  # noqa: SIM115 - closed by __exit__
        except OSError:
            return
        try:
            reading, writing = os.pipe()
        except OSError:
            results.close()
            return
        try:
            child = os.fork()
        except OSError:
            results.close()
            os.close(reading)
            os.close(writing)
            return
        if child == 0:  # pragma: no cover - runs in the child, which ends with os._exit
            os.close(reading)
            self._run_steps(results.fileno(), writing)
        os.close(writing)
        self._pipe, self._results, self._child = os.fdopen(reading, "rb"), results, child

    def _run_steps(self, results: int, pipe: int) -> None:  # pragma: no cover - the child's
        offset = 0
        try:
            for step in self._steps:
                try:
                    payload = pickle.dumps(step(), protocol=pickle.HIGHEST_PROTOCOL)
                except BaseException:  # the parent runs this step, and the rest, itself
                    os.write(pipe, _PLACE.pack(offset, _FAILED))
                    break
                view = memoryview(payload)
                while view:
                    view = view[os.write(results, view) :]
                os.write(pipe, _PLACE.pack(offset, len(payload)))
                offset += len(payload)
        finally:
            os._exit(0)

    @property
    def forked(self) -> bool:
        """Tell whether a child runs the steps."""
        return self._pipe is not None

    def result(self, step: Callable[[], T]) -> T:
        """Return what `step` returned in the child; run it here when the child has nothing."""
        index = self._steps.index(step)
        while self._pipe is not None and len(self._places) <= index:
            answer = self._pipe.read(_PLACE.size)
            offset, length = _PLACE.unpack(answer) if len(answer) == _PLACE.size else (0, _FAILED)
            if length == _FAILED:  # this step failed, or the child died: none comes after
                self._stop()
                break
            self._places.append((offset, length))
        if index >= len(self._places) or self._results is None:
            return step()
        offset, length = self._places[index]
        try:
            value: T = pickle.loads(os.pread(self._results.fileno(), length, offset))
        except Exception:  # a result that does not come back whole is no result
            return step()
        return value

    def _stop(self) -> None:
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
            os.kill(self._child, signal.SIGKILL)
            os.waitpid(self._child, 0)

    def __enter__(self) -> Forked:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop()
        if self._results is not None:
            self._results.close()
            self._results = None
