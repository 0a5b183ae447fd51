"""Attacks on drift: what someone who can write to the cluster (or to a dump) could try.

Hide a cluster-admin binding among thousands of objects or behind kfroster's own labels,
give an object a name that is shell code, a workflow command or a terminal escape, read
the same object twice with different content: each is seen, reported and quoted safely.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

from compiler.drift import compare as drift
from compiler.drift import present, revoke
from compiler.model.keys import Manifest
from compiler.render.common import MANAGED_BY
from compiler.render.protection import release_namespace_command
from tests.drift.test_drift import ROSTER, compare, drifting, dump, in_sync, load, summary
from tests.fake_cluster import (
    cluster_of,
    cluster_role_binding,
    namespace,
    owner_references,
    profile,
    role_binding,
    user,
)

SHELL_CODE = "x'; touch PWNED; echo '$(touch PWNED2)`touch PWNED3`"


def test_a_cluster_admin_binding_hidden_among_thousands_of_objects_is_found(
    tmp_path: Path,
) -> None:
    from benchmarks.generate_roster import generate  # noqa: PLC0415

    text = generate(1000)
    manifests = cluster_of(load(text))
    hidden = cluster_role_binding("system:metrics-reader", "cluster-admin", user("eve@example.com"))
    # Dressed as Kubernetes' own and as kfroster's: labels never lower a severity.
    hidden["metadata"]["labels"] = {"kubernetes.io/bootstrapping": "rbac-defaults", **MANAGED_BY}
    manifests.insert(len(manifests) // 2, hidden)
    assert len(manifests) > 10_000
    found = compare(tmp_path, text, manifests, "json")
    [entry] = drifting(found)
    assert summary([entry]) == [("granted", "critical", "User eve@example.com cluster-wide")]
    assert entry.adoption is None  # it carries kfroster's label: never adopted
    lines = dump(manifests, "json").splitlines()
    assert '"name": "system:metrics-reader"' in "\n".join(lines[entry.objects[0].line - 1 :][:20])
    # Most severe first in every presentation.
    assert present.format_text(found).splitlines()[4].startswith("CRITICAL granted")
    markdown = present.format_markdown(found)
    assert markdown.index("eve@example.com") < markdown.index("information entries")


def _with_hostile_names() -> tuple[list[Manifest], str]:
    """A RoleBinding named as shell code, a self-registered Profile whose uid is shell code."""
    manifests = in_sync(ROSTER)
    manifests.append(role_binding(SHELL_CODE, "kubeflow-edit", user("eve@example.com")))
    made = profile("selfmade", "zed@example.com")
    space = namespace("selfmade", "zed@example.com")
    references = owner_references("selfmade")
    references[0]["uid"] = "u'; touch PWNED4; '"
    space["metadata"]["ownerReferences"] = references
    return [*manifests, made, space], SHELL_CODE


def test_revoke_quotes_every_name_from_the_dump_for_the_shell(tmp_path: Path) -> None:
    manifests, name = _with_hostile_names()
    found = compare(tmp_path, ROSTER, manifests)
    objects = drift.compare([("cluster.yaml", dump(manifests))], tmp_path / "users.yaml").objects
    namespaces = {o.name: o for o in objects if o.kind == "Namespace"}
    script = revoke.script(found, namespaces)
    calls = _run_with_fake_kubectl(script, tmp_path)
    assert not list(tmp_path.glob("PWNED*")), "a name from the dump ran as shell code"
    assert [
        "delete",
        "rolebindings.rbac.authorization.k8s.io",
        "--namespace",
        "team",
        name,
    ] in calls
    patch = next(call for call in calls if call[0] == "patch")
    assert patch[:4] == ["patch", "namespace", "selfmade", "--type=json"]
    assert json.loads(patch[5])[0]["value"] == "u'; touch PWNED4; '"
    assert ["delete", "profiles.kubeflow.org", "selfmade"] in calls
    # One command per object, and the Profile's namespace released before the Profile goes.
    assert len(calls) == 3
    assert calls.index(patch) < calls.index(["delete", "profiles.kubeflow.org", "selfmade"])


def test_the_release_command_import_prints_quotes_a_hostile_uid(tmp_path: Path) -> None:
    command = release_namespace_command("team", (0, "u'; touch PWNED; '"))
    calls = _run_with_fake_kubectl(command + "\n", tmp_path)
    assert not list(tmp_path.glob("PWNED*"))
    assert json.loads(calls[0][5])[0]["value"] == "u'; touch PWNED; '"


def _run_with_fake_kubectl(script: str, where: Path) -> list[list[str]]:
    """Run a script with a kubectl that records its arguments; return each call's arguments."""
    bin_dir = where / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "kubectl"
    fake.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do printf "%s\\0" "$a"; done >> "$CALLS"\n'
        'printf "\\n" >> "$CALLS"\n',
        encoding="utf-8",
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    calls = where / "calls"
    calls.write_bytes(b"")
    environment = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(calls)}
    subprocess.run(["sh", "-c", script], cwd=where, env=environment, check=True)
    return [
        line.rstrip("\0").split("\0") for line in calls.read_text(encoding="utf-8").splitlines()
    ]


def test_a_name_no_shell_line_can_carry_gets_no_command(tmp_path: Path) -> None:
    manifests = in_sync(ROSTER)
    manifests.append(role_binding("x\n::error::pwned\n#", "kubeflow-edit", user("eve@example.com")))
    found = compare(tmp_path, ROSTER, manifests)
    script = revoke.script(found, {})
    assert "kubectl delete" not in script
    assert "# not printed as a command: the name x\\u000a::error::pwned" in script
    _assert_no_command_lines(script)


HOSTILE = (
    "\x1b]8;;https://evil.example\x07eve\x1b[2J\n::error::forged\r##[warning]x`</details>@org/all"
)


def _hostile() -> list[Manifest]:
    subject = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": HOSTILE}
    return [*in_sync(ROSTER), role_binding("hostile", "kubeflow-edit", subject)]


def _assert_no_command_lines(text: str, allowed: int = 0) -> None:
    commands = [line for line in text.splitlines() if re.match(r"\s*::", line)]
    assert len(commands) == allowed, commands
    # The runner reads a line as a `::` command first and only otherwise looks for the
    # older `##[` form anywhere in it (actions/runner ActionCommandManager.cs L70-71 at
    # 258d6c85, TryParseV2 before TryParse): `##[` is harmless only inside kfroster's own.
    others = [line for line in text.splitlines() if line not in commands]
    assert not any("##[" in line for line in others)


def test_no_presentation_carries_a_terminal_escape_or_a_workflow_command(tmp_path: Path) -> None:
    found = compare(tmp_path, ROSTER, _hostile())
    assert len(drifting(found)) == 1
    for text in (
        present.format_text(found),
        present.format_markdown(found),
        present.format_json(found),
        revoke.script(found, {}),
    ):
        assert "\x1b" not in text and "\x07" not in text and "\r" not in text
        _assert_no_command_lines(text)
    github = present.format_github(found)
    assert "\x1b" not in github
    # kfroster's own annotations, one line per entry, and no command smuggled in.
    _assert_no_command_lines(github, allowed=len(found.entries))
    assert github.splitlines()[0].startswith("::error file=cluster.yaml,")


def test_json_keeps_the_hostile_name_exactly(tmp_path: Path) -> None:
    found = compare(tmp_path, ROSTER, _hostile())
    document = json.loads(present.format_json(found))
    [entry] = [e for e in document["entries"] if e["kind"] == "granted"]
    assert entry["subject"] == f"Group {HOSTILE} in team"


def test_markdown_shows_the_hostile_name_as_code(tmp_path: Path) -> None:
    markdown = present.format_markdown(compare(tmp_path, ROSTER, _hostile()))
    # Outside code spans, only kfroster's own HTML: every <details> closed once.
    prose = re.sub(r"(`+)[^`].*?\1", "", markdown)
    assert prose.count("<details>") == prose.count("</details>") == 1
    assert "@org/all" not in prose
    line = next(line for line in markdown.splitlines() if "@org/all" in line)
    # The whole name sits in one code span, fenced by more backticks than it holds.
    assert re.search(r"``\\u001b.*@org/all``", line), line


def test_an_object_read_twice_with_different_content_is_judged_in_both_copies(
    tmp_path: Path,
) -> None:
    manifests = in_sync(ROSTER)
    binding = next(m for m in manifests if m["metadata"]["name"].startswith("user-bob"))
    forged = json.loads(json.dumps(binding))
    forged["subjects"].append(user("eve@example.com"))
    path = tmp_path / "users.yaml"
    path.write_text(ROSTER, encoding="utf-8")
    found = drift.compare([("a.yaml", dump(manifests)), ("b.yaml", dump([forged]))], path).drift
    assert summary(drifting(found)) == [
        ("granted", "high", "User eve@example.com in team"),
        ("changed", "high", f"RoleBinding team/{binding['metadata']['name']}"),
    ]
    [problem] = found.problems
    assert (problem.file, problem.rule) == ("b.yaml", "drift-duplicate-object")
    # The same object read twice, unchanged, is one object and no problem.
    again = drift.compare([("a.yaml", dump(manifests)), ("a2.yaml", dump(manifests))], path)
    assert again.drift.problems == () and drifting(again.drift) == []


def test_a_dump_that_is_no_plain_yaml_is_refused_with_its_location(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(ROSTER, encoding="utf-8")
    text = "apiVersion: v1\nkind: List\nitems:\n- &a {apiVersion: v1, kind: Namespace}\n- *a\n"
    try:
        drift.compare([("cluster.yaml", text)], path)
    except drift.ClusterInputInvalid as err:
        assert {(p.file, p.line, p.rule) for p in err.problems} == {
            ("cluster.yaml", 4, "import-yaml"),
            ("cluster.yaml", 5, "import-yaml"),
        }
    else:
        raise AssertionError("an alias was read")
