"""The formats the plan is written in, for `kfroster diff --format`: writers imported when used."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from compiler.formats import Deferred, Format, Formats, Writer

if TYPE_CHECKING:
    from compiler.review.plan.model import Plan


def _writers() -> Mapping[Format, Writer[Plan]]:
    # Imported here: every command lists these names at start-up, only diff writes a plan.
    from compiler.review.plan.github import format_github  # noqa: PLC0415
    from compiler.review.plan.json_plan import format_json  # noqa: PLC0415
    from compiler.review.plan.markdown import DEFAULT_MAX_CHARS, format_markdown  # noqa: PLC0415
    from compiler.review.plan.text import format_text  # noqa: PLC0415

    return {
        Format.TEXT: lambda plan, style: format_text(plan, palette=style.palette),
        Format.JSON: lambda plan, _style: format_json(plan),
        Format.GITHUB: lambda plan, _style: format_github(plan),
        Format.MARKDOWN: lambda plan, style: format_markdown(
            plan,
            max_chars=style.max_chars or DEFAULT_MAX_CHARS,
            command=style.command or "kfroster diff",
        ),
    }


PLAN_FORMATS: Formats[Plan] = Formats(
    "the plan", Deferred((Format.TEXT, Format.JSON, Format.GITHUB, Format.MARKDOWN), _writers)
)
