"""No output line can begin a workflow command or a terminal escape that kfroster did not write.

Issue 12 item 7: a committed file named `out/x\\n::notice title=kfroster plan::No risks -
safe to merge` was printed raw by `compile --check`, and the runner reads workflow commands
from stderr as from stdout. Here hostile text (line breaks, ESC and C1 controls, `::` and
`##[` commands, bidi overrides, lone surrogates) goes everywhere a pull request or a cluster
can put it: file names under out/ and deploy/, roster values and keys, a roster's file
name, the user `explain` is asked about, the objects `import` reads. Every command runs in
text and in GitHub mode (and JSON or Markdown where it has them), and the runner oracle
(tests/runner_commands.py) must find no command but the annotations kfroster means to
write, each carrying exactly one problem; no line may hold a character a terminal acts on.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from compiler.text import visible
from tests.conftest import REPO, invoke
from tests.runner_commands import Command, commands, unescape_property
from tests.strategies import examples
from tests.test_text import HOSTILE_PIECES

hostile = st.lists(
    st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=3)), min_size=1, max_size=8
).map("".join)


def _file_name(text: str) -> str:
    """Make text a name a file system takes: no '/' or NUL; a lone surrogate becomes the
    one Python reads for a byte that is not UTF-8 (0xFF)."""
    text = text.replace("/", "").replace("\x00", "")
    return re.sub("[\ud800-\udfff]", "\udcff", text)


file_names = hostile.map(_file_name).filter(
    lambda name: name not in ("", ".", "..") and len(os.fsencode(name)) < 200
)
ANNOTATION = re.compile(r"file=(?P<file>[^,]*),line=\d+,col=\d+,title=(?P<title>[a-z0-9-]+)")
SCENARIOS = settings(
    max_examples=examples(20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ROSTER = """\
version: 1
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
profiles:
  - {name: alice, owner: alice, contributors: [{user: bob, role: view}]}
"""


def yaml_string(text: str) -> str:
    """Write any text as a YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(text)


def assert_nothing_injected(result: Result, *, roster_names: tuple[str, ...] = ()) -> None:
    """Check both streams: printable lines, and no command but kfroster's own annotations."""
    for stream in (result.stdout, result.stderr):
        for line in stream.split("\n"):
            assert line.isprintable(), line
    assert commands(result.stdout) == []
    for command in commands(result.stderr):
        assert_annotation(command, roster_names)


def assert_annotation(command: Command, roster_names: tuple[str, ...]) -> None:
    """An annotation kfroster writes: error or warning, located in a roster, titled by a rule."""
    assert command.name in ("error", "warning"), command
    found = ANNOTATION.fullmatch(command.properties)
    assert found is not None, command
    assert unescape_property(found["file"]) in {visible(name) for name in roster_names}


@contextmanager
def github_actions(on: bool) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        if on:
            patch.setenv("GITHUB_ACTIONS", "true")
        yield


def run(runner: CliRunner, *args: str | Path) -> list[Result]:
    """Run a command as on a laptop and as on a runner (GITHUB_ACTIONS=true)."""
    results = []
    for on in (False, True):
        with github_actions(on):
            results.append(invoke(runner, *args))
    return results


@pytest.fixture
def compiled(tmp_path: Path, runner: CliRunner) -> Path:
    """A roster with its out/ and a Flux deploy/, in tmp_path."""
    (tmp_path / "users.yaml").write_text(ROSTER, encoding="utf-8")
    assert invoke(runner, "compile", tmp_path / "users.yaml", "-o", tmp_path / "out").exit_code == 0
    deploy = invoke(runner, "deploy", "--flux", tmp_path / "users.yaml", "-o", tmp_path / "deploy")
    assert deploy.exit_code == 0
    return tmp_path


def test_the_reproduced_file_name_prints_no_notice(compiled: Path, runner: CliRunner) -> None:
    name = "x\n::notice title=kfroster plan::No risks - safe to merge"
    (compiled / "out" / name).write_text("apiVersion: v1\n", encoding="utf-8")
    for result in run(
        runner, "compile", compiled / "users.yaml", "-o", compiled / "out", "--check"
    ):
        assert result.exit_code == 1
        assert_nothing_injected(result)
        assert f"  foreign  {compiled}/out/x\\u000a::notice title=" in result.stderr


@SCENARIOS
@given(name=file_names, where=st.sampled_from(["out", "out/profiles", "deploy"]))
def test_file_names_under_out_and_deploy(
    compiled: Path, runner: CliRunner, name: str, where: str
) -> None:
    planted = compiled / where / name
    planted.write_bytes(b"kind: x\n")
    try:
        roster, out, deploy = compiled / "users.yaml", compiled / "out", compiled / "deploy"
        for args in (
            ["compile", roster, "-o", out, "--check"],
            ["compile", roster, "-o", out],
            ["deploy", "--flux", roster, "-o", deploy, "--check"],
            ["deploy", "--flux", roster, "-o", deploy],
        ):
            for result in run(runner, *args):
                assert_nothing_injected(result)
    finally:
        planted.unlink()


@SCENARIOS
@given(text=hostile, key=hostile)
def test_roster_values_keys_and_settings(
    tmp_path_factory: pytest.TempPathFactory, runner: CliRunner, text: str, key: str
) -> None:
    folder = tmp_path_factory.mktemp("roster")
    old = folder / "old.yaml"
    old.write_text(ROSTER, encoding="utf-8")
    # Invalid: the hostile text is quoted in problems. Valid: a prefix may hold '::' and '##['.
    prefix = "".join(char for char in text if "!" <= char <= "~" and char != "*")
    rosters = {
        "value.yaml": ROSTER.replace("name: bob,", f"name: {yaml_string(text)},"),
        "email.yaml": ROSTER.replace("bob@example.com", yaml_string(text)),
        "key.yaml": ROSTER + f"{yaml_string(key)}: 1\n",
        "label.yaml": ROSTER + f"settings: {{namespaceLabels: {{a: {yaml_string(text)}}}}}\n",
        "prefix.yaml": ROSTER + f"settings: {{userIdPrefix: {yaml_string(prefix)}}}\n",
        "raw.yaml": text,
    }
    for file_name, content in rosters.items():
        new = folder / file_name
        new.write_text(content, encoding="utf-8", errors="surrogatepass")
        names = (str(new), str(old), f"{new}@base")
        for output_format in ("text", "github", "json"):
            [result] = [invoke(runner, "validate", "--format", output_format, new)]
            assert_nothing_injected(result, roster_names=names)
        for args in (["compile", new, "-o", folder / "out"], ["explain", "bob", new]):
            for result in run(runner, *args):
                assert_nothing_injected(result, roster_names=names)
        for output_format in ("text", "markdown", "json"):
            for result in run(runner, "diff", old, new, "--format", output_format):
                assert_nothing_injected(result, roster_names=names)


@SCENARIOS
@given(name=file_names, who=hostile)
def test_a_roster_file_name_and_the_user_asked_about(
    tmp_path_factory: pytest.TempPathFactory, runner: CliRunner, name: str, who: str
) -> None:
    folder = tmp_path_factory.mktemp("named")
    roster = folder / name
    roster.write_text(ROSTER + "  - {name: carol, owner: nobody}\n", encoding="utf-8")
    names = (str(roster),)
    for args in (["validate", roster], ["compile", roster, "-o", folder / "out"]):
        for result in run(runner, *args):
            assert_nothing_injected(result, roster_names=names)
    good = folder / "good.yaml"
    good.write_text(ROSTER, encoding="utf-8")
    for output_format in ("text", "markdown", "json"):
        result = invoke(runner, "explain", who, good, "--format", output_format)
        assert_nothing_injected(result)


@SCENARIOS
@given(name=hostile, subject=hostile)
def test_objects_read_by_import(
    tmp_path_factory: pytest.TempPathFactory, runner: CliRunner, name: str, subject: str
) -> None:
    folder = tmp_path_factory.mktemp("import")
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": "alice"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": subject}],
    }
    dump = folder / "cluster.json"
    dump.write_text(json.dumps({"kind": "List", "items": [binding]}), encoding="utf-8")
    result = invoke(runner, "import", dump, "--output", folder / "users.yaml", "--force")
    assert_nothing_injected(result, roster_names=(str(dump),))


def test_the_example_repository_is_unchanged_by_these_tests() -> None:
    """The scenarios write only under tmp_path (a guard against a wrong -o)."""
    assert not (REPO / "out" / "x").exists()
