"""The formats the plan is written in, for `kfroster diff --format`."""

from __future__ import annotations

from compiler.formats import Format, Formats
from compiler.review.plan.github import format_github
from compiler.review.plan.json_plan import format_json
from compiler.review.plan.markdown import DEFAULT_MAX_CHARS, format_markdown
from compiler.review.plan.model import Plan
from compiler.review.plan.text import format_text

PLAN_FORMATS: Formats[Plan] = Formats(
    "the plan",
    {
        Format.TEXT: lambda plan, style: format_text(plan, palette=style.palette),
        Format.JSON: lambda plan, _style: format_json(plan),
        Format.GITHUB: lambda plan, _style: format_github(plan),
        Format.MARKDOWN: lambda plan, style: format_markdown(
            plan,
            max_chars=style.max_chars or DEFAULT_MAX_CHARS,
            command=style.command or "kfroster diff",
        ),
    },
)
