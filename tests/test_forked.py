"""compiler.forked: the work runs in a child; whatever goes wrong, the result is a plain call's."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from compiler.forked import Forked

FORKS = sys.platform.startswith("linux")  # elsewhere every test runs the work here


def where() -> int:
    return os.getpid()


def test_the_work_runs_in_a_child_and_its_result_comes_back() -> None:
    with Forked(where) as running:
        assert running.forked is FORKS
        pid = running.result(where)
    assert (pid != os.getpid()) is FORKS


def test_a_large_result_comes_back_whole() -> None:
    data = {f"key-{n}": list(range(n % 50)) for n in range(100_000)}  # far more than a pipe holds

    def large() -> dict[str, list[int]]:
        return data

    with Forked(large) as running:
        assert running.result(large) == data


def test_an_error_in_the_work_is_raised_here_as_a_plain_call_raises_it() -> None:
    parent = os.getpid()
    calls = []

    def failing() -> None:
        calls.append(os.getpid())  # the child's list is its own copy
        raise ValueError(f"failed in {'the child' if os.getpid() != parent else 'here'}")

    with Forked(failing) as running, pytest.raises(ValueError, match="failed in here"):
        running.result(failing)
    assert calls == [parent]


def test_a_child_that_dies_leaves_the_work_to_this_process() -> None:
    parent = os.getpid()

    def dying() -> str:
        if os.getpid() != parent:
            os._exit(3)
        return "here"

    with Forked(dying) as running:
        assert running.result(dying) == "here"


def test_a_result_that_cannot_be_pickled_is_computed_here() -> None:
    parent = os.getpid()

    def unpicklable() -> object:
        return (lambda: None) if os.getpid() != parent else "here"

    with Forked(unpicklable) as running:
        assert running.result(unpicklable) == "here"


def test_leaving_without_the_result_stops_and_reaps_the_child() -> None:
    with pytest.raises(RuntimeError), Forked(lambda: __import__("time").sleep(60)) as running:
        child = running._child
        assert (child != 0) is FORKS
        raise RuntimeError("the parent's own work failed")
    if FORKS:
        with pytest.raises(ChildProcessError):
            os.waitpid(child, os.WNOHANG)  # reaped: no such child any more


def test_each_step_comes_back_as_soon_as_it_is_done_and_a_failed_one_stops_the_rest() -> None:
    parent = os.getpid()
    ran_here: list[str] = []

    def first() -> str:
        return "child" if os.getpid() != parent else "here"

    def second() -> str:
        if os.getpid() != parent:
            raise RuntimeError("fails in the child")
        ran_here.append("second")
        return "here"

    def third() -> str:
        ran_here.append("third")
        return "child" if os.getpid() != parent else "here"

    with Forked(first, second, third) as running:
        # Taken in any order: the first from the child, the rest here (the second failed there).
        assert running.result(third) == "here"
        assert running.result(first) == ("child" if FORKS else "here")
        assert running.result(second) == "here"
    assert ran_here == ["third", "second"]


def test_a_step_waits_for_no_other_result_to_be_read() -> None:
    # The first result is far larger than a pipe holds and is never read: the second step
    # must still run and come back (results go to a file, their places to the pipe).
    def large() -> bytes:
        return b"x" * 50_000_000

    def small() -> int:
        return os.getpid()

    with Forked(large, small) as running:
        assert (running.result(small) != os.getpid()) is FORKS


@pytest.mark.parametrize("failing", ["tempfile.TemporaryFile", "os.pipe", "os.fork"])
def test_no_file_pipe_or_fork_means_the_work_runs_here(
    failing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(failing, refuse)
    descriptors = _open_descriptors()
    with Forked(where) as running:
        assert not running.forked
        assert running.result(where) == os.getpid()
    assert _open_descriptors() == descriptors  # nothing left open on the way


def _open_descriptors() -> list[str]:
    return sorted(path.name for path in Path("/proc/self/fd").iterdir()) if FORKS else []
