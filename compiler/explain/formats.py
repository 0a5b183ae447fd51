"""The formats of `kfroster explain` and `kfroster roles`: writers imported when used."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from compiler.formats import Deferred, Format, Formats, Writer

if TYPE_CHECKING:
    from compiler.explain.access import ByCluster
    from compiler.explain.roles.presentation import Shown


def _explanation_writers() -> Mapping[Format, Writer[ByCluster]]:
    from compiler.explain.presentation import WRITERS  # noqa: PLC0415 - only when written

    return WRITERS


def _roles_writers() -> Mapping[Format, Writer[Shown]]:
    from compiler.explain.roles.presentation import WRITERS  # noqa: PLC0415 - only when written

    return WRITERS


EXPLANATION_FORMATS: Formats[ByCluster] = Formats(
    "an explanation",
    Deferred((Format.TEXT, Format.MARKDOWN, Format.JSON), _explanation_writers),
)
ROLES_FORMATS: Formats[Shown] = Formats(
    "the roles chart", Deferred((Format.TEXT, Format.MARKDOWN, Format.JSON), _roles_writers)
)
