"""compiler.forked: the work runs in a child; whatever goes wrong, the result is a plain call's."""

from __future__ import annotations

import os
import sys

import pytest

from compiler.forked import Forked

FORKS = sys.platform.startswith("linux")  # elsewhere every test runs the work here


def where() -> int:
    return os.getpid()


def test_the_work_runs_in_a_child_and_its_result_comes_back() -> None:
    with Forked(where) as running:
        assert running.forked is FORKS
        pid = running.result()
    assert (pid != os.getpid()) is FORKS


def test_a_large_result_comes_back_whole() -> None:
    data = {f"key-{n}": list(range(n % 50)) for n in range(100_000)}  # far more than a pipe holds
    with Forked(lambda: data) as running:
        assert running.result() == data


def test_an_error_in_the_work_is_raised_here_as_a_plain_call_raises_it() -> None:
    parent = os.getpid()
    calls = []

    def failing() -> None:
        calls.append(os.getpid())  # the child's list is its own copy
        raise ValueError(f"failed in {'the child' if os.getpid() != parent else 'here'}")

    with Forked(failing) as running, pytest.raises(ValueError, match="failed in here"):
        running.result()
    assert calls == [parent]


def test_a_child_that_dies_leaves_the_work_to_this_process() -> None:
    parent = os.getpid()

    def dying() -> str:
        if os.getpid() != parent:
            os._exit(3)
        return "here"

    with Forked(dying) as running:
        assert running.result() == "here"


def test_a_result_that_cannot_be_pickled_is_computed_here() -> None:
    parent = os.getpid()

    def unpicklable() -> object:
        return (lambda: None) if os.getpid() != parent else "here"

    with Forked(unpicklable) as running:
        assert running.result() == "here"


def test_leaving_without_the_result_stops_and_reaps_the_child() -> None:
    with pytest.raises(RuntimeError), Forked(lambda: __import__("time").sleep(60)) as running:
        child = running._child
        assert (child != 0) is FORKS
        raise RuntimeError("the parent's own work failed")
    if FORKS:
        with pytest.raises(ChildProcessError):
            os.waitpid(child, os.WNOHANG)  # reaped: no such child any more
