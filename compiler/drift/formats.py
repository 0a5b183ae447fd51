"""The formats of the drift report, for `kfroster drift --format`: writers imported when used."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from compiler.formats import Deferred, Format, Formats, Writer

if TYPE_CHECKING:
    from compiler.drift.model import Drift


def _writers() -> Mapping[Format, Writer[Drift]]:
    from compiler.drift.present import WRITERS  # noqa: PLC0415 - only when a report is written

    return WRITERS


DRIFT_FORMATS: Formats[Drift] = Formats(
    "the drift report",
    Deferred((Format.TEXT, Format.JSON, Format.GITHUB, Format.MARKDOWN), _writers),
)
