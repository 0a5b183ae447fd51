"""Problem corpora: each bad roster gives exactly the problem lines in its <name>.txt.

tests/cases/invalid/ holds rosters with errors (nothing may compile from them);
tests/cases/warnings/ holds valid rosters that must warn. Rosters too large or too
binary to commit (50 MB, 10,000 levels, invalid UTF-8, NUL bytes, …) are built here,
at run time, by GENERATED; their expected lines still live in tests/cases/invalid/.

Every invalid roster also goes through `kfroster compile` into an out/ that holds a
valid tree: exit 1, exactly the expected lines on stderr, no traceback, and out/
unchanged to the byte and the modification time.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from compiler import pipeline
from compiler.cli import app
from compiler.model.roster import DNS_LABEL_PATTERN
from compiler.output import tree
from compiler.problems import format_text
from compiler.roster.rules import RULES, rule_id
from tests.conftest import CASES, INVALID, REPO, golden_cases, updating_golden
from tests.kfam import binding_name

WARNINGS = CASES / "warnings"
MINIMUM_INVALID_CASES = 60  # what the issue asks the corpus to hold at least
_MAX_LINE_CHARS = 500  # a message quotes at most a few clipped roster values

# --------------------------------------------------------------------------------------------
# Generated cases
# --------------------------------------------------------------------------------------------

_VALID_HEAD = b"version: 1\nusers:\n  - {name: alice, email: alice@example.com}\n"


def _fifty_megabytes() -> bytes:
    # Plausible content (a roster with a huge comment), not a sparse file of zeros.
    comment = b"# " + b"padding " * 1024 + b"\n"
    return _VALID_HEAD + comment * (50 * 1024 * 1024 // len(comment) + 1)


def _block_mappings(levels: int) -> bytes:
    return b"".join(b" " * level + b"k%d:\n" % level for level in range(levels)) + b" " * levels


def _alias_flood(aliases: int) -> bytes:
    return b"version: 1\nx: &a alice\nusers: [" + b", ".join([b"*a"] * aliases) + b"]\n"


def _crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


GENERATED: dict[str, Callable[[], bytes]] = {
    "generated-yaml-50-megabytes": _fifty_megabytes,
    "generated-yaml-nesting-10000-flow-lists": lambda: b"version: 1\nusers: " + b"[" * 10_000,
    "generated-yaml-nesting-10000-block-lists": lambda: b"- " * 10_000 + b"x\n",
    "generated-yaml-nesting-10000-flow-mappings": lambda: b"{a: " * 10_000 + b"b" + b"}" * 10_000,
    "generated-yaml-nesting-100-block-mappings": lambda: _block_mappings(100),
    "generated-yaml-alias-flood": lambda: _alias_flood(100_000),
    "generated-yaml-number-5000-digits": lambda: b"version: " + b"9" * 5000 + b"\n",
    "generated-yaml-invalid-utf8": lambda: _VALID_HEAD + b"  - {name: b\xe9a, email: bea@x.io}\n",
    "generated-yaml-truncated-utf8": lambda: _VALID_HEAD + b"# caf\xc3",
    "generated-yaml-utf16": lambda: _VALID_HEAD.decode().encode("utf-16"),
    "generated-yaml-bom": lambda: (
        b"\xef\xbb\xbf" + _VALID_HEAD + b"  - {name: Bob, email: b@x.io}\n"
    ),
    "generated-yaml-nul-bytes": lambda: _VALID_HEAD.replace(b"alice@", b"alice\x00@") + b"\x00\n",
    "generated-yaml-nul-flood": lambda: _VALID_HEAD + b"\x00" * 1_000_000,
    "generated-yaml-crlf-located": lambda: _crlf(
        "version: 1\nusers:\n  - {name: alice, email: alice@example.com}\n"
        "  - {name: Bob, email: bob@example.com}\n"
        "profiles:\n  - {name: kube-system, owner: alice}\n"
    ),
    "generated-yaml-cr-only": lambda: b"version: 1\rusers:\r  - {name: alice, email: x}\r",
    "generated-email-one-million-characters": lambda: (
        b"version: 1\nusers:\n  - {name: alice, email: " + b"a" * 1_000_000 + b"@example.com}\n"
    ),
}
# Cases worth the cost of a process of their own: the binary and the huge ones.
SUBPROCESS_CASES = frozenset(
    {
        *GENERATED,
        "yaml-tags-everywhere",
        "yaml-expansion-bomb",
        "identity-cyrillic",
        "identity-bidi",
        "security-yaml-injection",
        "security-path-tricks",
        "quantity-overflow",
    }
)


@dataclass(frozen=True)
class Case:
    """One roster of a corpus: where its bytes come from and where its expected lines are."""

    directory: Path
    stem: str

    @property
    def name(self) -> str:
        """The roster's file name, as the problem lines show it."""
        return f"{self.stem}.yaml"

    @property
    def expected(self) -> Path:
        return self.directory / f"{self.stem}.txt"

    @property
    def invalid(self) -> bool:
        return self.directory == INVALID

    def content(self) -> bytes:
        if self.stem in GENERATED:
            return _generated(self.stem)
        return (self.directory / self.name).read_bytes()

    def write(self, directory: Path) -> Path:
        """Write the roster into directory under its own name and return its path."""
        path = directory / self.name
        path.write_bytes(self.content())
        return path

    def __str__(self) -> str:
        return f"{self.directory.name}/{self.stem}"


@cache
def _generated(stem: str) -> bytes:
    return GENERATED[stem]()


def _cases(directory: Path) -> list[Case]:
    stems = {path.stem for path in directory.glob("*.yaml")}
    if directory == INVALID:
        stems |= GENERATED.keys()
    return [Case(directory, stem) for stem in sorted(stems)]


INVALID_CASES = _cases(INVALID)
ALL_CASES = INVALID_CASES + _cases(WARNINGS)

# --------------------------------------------------------------------------------------------
# Exactly the expected problems
# --------------------------------------------------------------------------------------------

_LOCATED = re.compile(
    r"[a-z0-9-]+\.yaml:[1-9][0-9]*:[1-9][0-9]*: (error|warning): .+ \[[a-z0-9-]+\]"
)


def _problem_lines(case: Case, directory: Path) -> str:
    checked = pipeline.check(case.write(directory), case.name)
    return "".join(format_text(problem) + "\n" for problem in checked.problems)


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_reports_exactly_the_expected_problems(case: Case, tmp_path: Path) -> None:
    produced = _problem_lines(case, tmp_path)
    if updating_golden():
        case.expected.write_text(produced, encoding="utf-8")
    assert produced == case.expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_every_problem_is_one_located_line(case: Case) -> None:
    lines = case.expected.read_text(encoding="utf-8").splitlines()
    assert lines, "a case must report something"
    assert [line for line in lines if not _LOCATED.fullmatch(line)] == []
    assert all(line.startswith(f"{case.name}:") for line in lines)
    # Roster text is quoted clipped: a 10,000-character key must not flood a PR comment.
    assert [line for line in lines if len(line) > _MAX_LINE_CHARS] == []


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_invalid_cases_have_errors_and_warning_cases_compile(case: Case, tmp_path: Path) -> None:
    checked = pipeline.check(case.write(tmp_path), case.name)
    if case.invalid:
        assert checked.roster is None
    else:
        assert checked.roster is not None
        assert checked.problems
        assert {problem.level for problem in checked.problems} == {"warning"}


def test_every_policy_rule_has_a_case() -> None:
    expected = "".join(case.expected.read_text(encoding="utf-8") for case in ALL_CASES)
    missing = [rule_id(rule) for rule in RULES if f"[{rule_id(rule)}]" not in expected]
    assert missing == []


def test_every_expected_file_belongs_to_a_case() -> None:
    stems = {case.stem for case in ALL_CASES}
    orphans = [p for p in [*INVALID.glob("*.txt"), *WARNINGS.glob("*.txt")] if p.stem not in stems]
    assert orphans == []
    assert [case for case in ALL_CASES if not case.expected.is_file()] == []


def test_the_corpus_is_as_large_as_the_issue_asks() -> None:
    assert len(INVALID_CASES) >= MINIMUM_INVALID_CASES


# --------------------------------------------------------------------------------------------
# Through the command line: exit 1, the same lines, no traceback, out/ untouched
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def valid_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an out/ tree compiled from the example roster, to copy into each test."""
    out = tmp_path_factory.mktemp("valid") / "out"
    tree.write_tree(pipeline.compile_roster(REPO / "users.yaml").files, out)
    return out


def _snapshot(root: Path) -> dict[str, tuple[str, int, bytes]]:
    """Return every entry under root: its type, modification time and (for files) bytes."""
    found: dict[str, tuple[str, int, bytes]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        kind = "dir" if path.is_dir() else "file"
        data = path.read_bytes() if kind == "file" else b""
        found[path.relative_to(root).as_posix()] = (kind, info.st_mtime_ns, data)
    found["."] = ("dir", root.lstat().st_mtime_ns, b"")
    return found


def _prepare(case: Case, directory: Path, valid_out: Path) -> dict[str, tuple[str, int, bytes]]:
    case.write(directory)
    shutil.copytree(valid_out, directory / "out")  # copy2 keeps the modification times
    return _snapshot(directory)


def _expected_stderr(case: Case) -> list[str]:
    lines = case.expected.read_text(encoding="utf-8").splitlines()
    errors = sum(": error: " in line for line in lines)
    return [*lines, f"{case.name}: invalid, nothing written ({errors} error{'s' * (errors != 1)})"]


@pytest.mark.parametrize("case", INVALID_CASES, ids=str)
def test_compile_refuses_and_leaves_out_untouched(
    case: Case, tmp_path: Path, valid_out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _prepare(case, tmp_path, valid_out)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["compile", case.name, "--out", "out"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == _expected_stderr(case)
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("case", [c for c in INVALID_CASES if c.stem in SUBPROCESS_CASES], ids=str)
def test_kfroster_process_refuses_without_a_traceback(
    case: Case, tmp_path: Path, valid_out: Path
) -> None:
    before = _prepare(case, tmp_path, valid_out)
    kfroster = Path(sys.executable).with_name("kfroster")
    done = subprocess.run(
        [str(kfroster), "compile", case.name, "--out", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in done.stderr
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == _expected_stderr(case)
    assert _snapshot(tmp_path) == before


# --------------------------------------------------------------------------------------------
# Accepted on purpose (see docs/roster.md): these rosters compile
# --------------------------------------------------------------------------------------------

_ALICE = "users:\n  - {name: alice, email: %s}\n"
ACCEPTED = {
    "punycode-domain": _ALICE % "alice@xn--bcher-kva.example",
    "upper-case-domain": _ALICE % "Alice.Smith@Example.COM",
    "email-punctuation": _ALICE % '"o\'brien+ml=1{x}|~`#^!&%$/?@example.com"',
    "edge-separators-email": _ALICE % "_alice-@example.com",
    "prefix-punctuation": 'settings: {userIdPrefix: "\'\\"]}#:&!|>%@`{,"}\n'
    + _ALICE % "alice@example.com",
}


@pytest.mark.parametrize("body", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_documented_inputs_are_accepted(body: str) -> None:
    roster = f"version: 1\n{body}profiles:\n  - {{name: team, owner: alice}}\n"
    checked = pipeline.check_text(roster, "users.yaml")
    assert [p for p in checked.problems if p.level == "error"] == []


def test_crlf_line_endings_compile_to_the_same_bytes(tmp_path: Path) -> None:
    text = (REPO / "users.yaml").read_text(encoding="utf-8")
    assert "\r" not in text
    crlf = tmp_path / "users.yaml"
    crlf.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    assert pipeline.compile_roster(crlf).files == pipeline.compile_roster(REPO / "users.yaml").files


def _documents(files: dict[str, str]) -> list[Any]:
    # Kubernetes reads YAML with 1.1 rules; PyYAML does too.
    return [doc for text in files.values() for doc in yaml.safe_load_all(text)]


def test_punctuation_in_settings_and_emails_cannot_change_a_policy(tmp_path: Path) -> None:
    prefix = "'\"]}#:&!|>%@`{,-"
    header = "x-user'id|~`^"
    email = "o'brien+ml=1{x}|~`#^!&%$/?-@example.com"
    roster = tmp_path / "users.yaml"
    roster.write_text(
        "version: 1\n"
        # A JSON string is a YAML double-quoted scalar.
        f"settings: {{userIdPrefix: {json.dumps(prefix)}, userIdHeader: {json.dumps(header)}}}\n"
        "users:\n  - {name: owner, email: owner@example.com}\n"
        f"  - {{name: guest, email: {json.dumps(email)}}}\n"
        "profiles:\n  - {name: team, owner: owner, contributors: [{user: guest, role: edit}]}\n",
        encoding="utf-8",
    )
    docs = _documents(pipeline.compile_roster(roster).files)
    (policy,) = [doc for doc in docs if doc["kind"] == "AuthorizationPolicy"]
    assert policy["spec"] == {
        "rules": [
            {
                "from": [
                    {
                        "source": {
                            "principals": [
                                "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
                                "cluster.local/ns/kubeflow/sa/ml-pipeline-ui",
                            ]
                        }
                    }
                ],
                "when": [{"key": f"request.headers[{header}]", "values": [prefix + email]}],
            }
        ]
    }
    assert policy["metadata"]["annotations"] == {"role": "edit", "user": email}


# --------------------------------------------------------------------------------------------
# Derived names and paths stay within Kubernetes' rules and within out/
# --------------------------------------------------------------------------------------------

# Written from the Kubernetes rules, independently of compiler/models.py.
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?")
_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_ROLES = {"kubeflow-admin", "kubeflow-edit", "kubeflow-view"}
_LONGEST_NAME = "n" * 63
# The longest email whose contributor name (user-<slug>-clusterrole-edit) is 253 long.
_LONGEST_EMAIL = "e" * (253 - len("user--clusterrole-edit") - len("@example.com")) + "@example.com"
BOUNDARY_ROSTER = f"""\
version: 1
settings:
  namespaceLabels:
    {"p" * 200}.example.com/{"k" * 63}: {"v" * 63}
users:
  - {{name: {_LONGEST_NAME}, email: {_LONGEST_EMAIL}, clusterRole: admin}}
  - {{name: {"o" * 63}, email: owner@example.com, clusterRole: view}}
profiles:
  - name: {"p" * 63}
    owner: {"o" * 63}
    contributors: [{{user: {_LONGEST_NAME}, role: edit}}]
"""


def _check_object_names(manifest: dict[str, Any]) -> list[str]:
    """Return what breaks Kubernetes' name, label and annotation rules in a manifest."""
    meta = manifest["metadata"]
    name, kind = meta["name"], manifest["kind"]
    wrong = []
    rule = _DNS_LABEL if kind in ("Namespace", "Profile") else _DNS_SUBDOMAIN
    if not rule.fullmatch(name) or len(name) > 253:
        wrong.append(f"{kind} name {name!r}")
    if "namespace" in meta and not _DNS_LABEL.fullmatch(meta["namespace"]):
        wrong.append(f"{kind} namespace {meta['namespace']!r}")
    for key, value in meta.get("labels", {}).items():
        prefix, _, label = key.rpartition("/")
        if len(prefix) > 253 or not _LABEL_NAME.fullmatch(label):
            wrong.append(f"label key {key!r}")
        if not isinstance(value, str) or not _LABEL_VALUE.fullmatch(value):
            wrong.append(f"label value {value!r}")
    if sum(len(k) + len(v) for k, v in meta.get("annotations", {}).items()) > 256 * 1024:
        wrong.append("annotations over 256 KiB")
    if "roleRef" in manifest and manifest["roleRef"]["name"] not in _ROLES:
        wrong.append(f"roleRef {manifest['roleRef']['name']!r}")
    return wrong


def test_the_longest_accepted_names_make_valid_objects(tmp_path: Path) -> None:
    roster = tmp_path / "users.yaml"
    roster.write_text(BOUNDARY_ROSTER, encoding="utf-8")
    docs = _documents(pipeline.compile_roster(roster).files)
    names = {doc["metadata"]["name"] for doc in docs}
    assert f"user-{'e' * (253 - 22 - 12)}-example-com-clusterrole-edit" in names
    assert len(max(names, key=len)) == 253
    assert f"kubeflow-admin-{_LONGEST_NAME}" in names
    assert [problem for doc in docs for problem in _check_object_names(doc)] == []


def test_one_character_more_is_refused() -> None:
    longer_email = BOUNDARY_ROSTER.replace(_LONGEST_EMAIL, "e" + _LONGEST_EMAIL)
    longer_name = BOUNDARY_ROSTER.replace(_LONGEST_NAME, _LONGEST_NAME + "n")
    for roster, rule in ((longer_email, "name-too-long"), (longer_name, "too-long")):
        checked = pipeline.check_text(roster, "users.yaml")
        assert {p.rule for p in checked.problems if p.level == "error"} == {rule}


def test_a_separator_at_the_end_of_the_longest_email_costs_no_character(tmp_path: Path) -> None:
    # KFAM's second pass merges the '-' that '_' becomes with the joiner: the name stays 253
    # characters long, so the roster is valid (one pass would have made it 254 and refused it).
    edged = "_" + _LONGEST_EMAIL
    roster = tmp_path / "users.yaml"
    roster.write_text(BOUNDARY_ROSTER.replace(_LONGEST_EMAIL, edged), encoding="utf-8")
    docs = _documents(pipeline.compile_roster(roster).files)
    (binding,) = [doc for doc in docs if doc["kind"] == "RoleBinding"]
    assert binding["metadata"]["name"] == binding_name(edged, "edit")
    assert len(binding["metadata"]["name"]) == 253


def test_names_that_become_file_names_hold_no_path_characters() -> None:
    # Profile and user names are the only roster text in a path under out/.
    label = re.compile(DNS_LABEL_PATTERN)
    accepted = {char for char in map(chr, range(0x10000)) if label.fullmatch(f"a{char}a")}
    assert accepted == set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert re.fullmatch(DNS_LABEL_PATTERN, ".") is None
    assert re.fullmatch(DNS_LABEL_PATTERN, "..") is None


def _valid_rosters() -> list[Path]:
    return [REPO / "users.yaml", *(case / "users.yaml" for case in golden_cases())]


@pytest.mark.parametrize("roster", _valid_rosters(), ids=lambda p: p.parent.name or "users")
def test_every_object_and_path_stays_within_the_rules(roster: Path) -> None:
    files = pipeline.compile_roster(roster).files
    for relative in files:
        path = PurePosixPath(relative)
        assert not path.is_absolute() and ".." not in path.parts and path.suffix == ".yaml"
        assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*(\.yaml)?", part) for part in path.parts)
    assert [p for doc in _documents(files) for p in _check_object_names(doc)] == []
