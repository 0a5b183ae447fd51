"""settings.deploy: the Flux Kustomizations and the Argo CD ApplicationSet that apply out/.

The objects are checked against the real CRD schemas (tests/gitops_schemas.py) and
against tests/schemas/ (closed, narrowed schemas written from the Flux Kustomization v1
and Argo CD ApplicationSet types, which also refuse unknown keys), read back with a YAML
1.1 reader, and matched with the directories the compiled out/ really has. `compile`
writes them beside out/ and `compile --check` fails when they are stale; `deploy` prints,
writes or checks them on its own, and still takes the deprecated options for a release.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from compiler import pipeline
from compiler.model import units
from compiler.model.roster import Deploy, Roster
from compiler.output import deploy
from tests import gitops_schemas
from tests.conftest import CASES, REPO, compile_into, invoke, read_tree

SCHEMAS = Path(__file__).parents[1] / "schemas"
REPO_URL = "https://git.example.com/platform/kubeflow-users.git"
SPLIT = CASES / "apply-units" / "users.yaml"  # four units, one of them empty
SINGLE = REPO / "users.yaml"
ROSTERS = [pytest.param(SPLIT, id="apply-units"), pytest.param(SINGLE, id="users.yaml")]
FLUX: dict[str, Any] = {"engine": "flux"}
ARGOCD: dict[str, Any] = {"engine": "argocd", "argocd": {"repoURL": REPO_URL}}
# A roster repository that is not the one `flux bootstrap` made: its own GitRepository.
FLUX_OWN_SOURCE: dict[str, Any] = {
    "engine": "flux",
    "path": "teams/kubeflow/out",
    "flux": {
        "sourceRef": {"name": "kubeflow-users"},
        "gitRepository": {"url": REPO_URL, "branch": "release", "secretName": "roster-git"},
    },
}


@cache
def validator(name: str) -> jsonschema.Draft7Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def schema_errors(name: str, manifest: Any) -> list[str]:
    return sorted(error.message for error in validator(name).iter_errors(manifest))


@cache
def roster_model(path: Path) -> Roster:
    return pipeline.validate(path).roster


def deploying(roster: Roster, setting: dict[str, Any]) -> Roster:
    """Return the roster with settings.deploy set to `setting` (validated by the model)."""
    settings = roster.settings.model_copy(update={"deploy": Deploy.model_validate(setting)})
    return roster.model_copy(update={"settings": settings})


def render(path: Path, setting: dict[str, Any]) -> dict[str, str]:
    return deploy.render(deploying(roster_model(path), setting), path.name)


def documents(files: dict[str, str]) -> dict[str, Any]:
    """Read every deploy file with PyYAML (YAML 1.1): one object each."""
    read: dict[str, Any] = {}
    for path, text in files.items():
        (manifest,) = [doc for doc in yaml.safe_load_all(text) if doc is not None]
        read[path] = manifest
    return read


def top_directories(roster: Path, tmp_path: Path) -> set[str]:
    """Return the directories directly under the compiled out/."""
    return {path.split("/", 1)[0] for path in compile_into(roster, tmp_path / "out")}


def with_deploy(text: str, setting: str) -> str:
    """Return roster text with `settings:` given a deploy line (the roster has settings)."""
    assert "\nsettings:\n" in text
    return text.replace("\nsettings:\n", f"\nsettings:\n  deploy: {setting}\n", 1)


# --------------------------------------------------------------------------------------------
# Flux: one Kustomization per unit that holds files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("roster", ROSTERS)
def test_flux_kustomizations_point_at_every_unit_that_exists(roster: Path, tmp_path: Path) -> None:
    manifests = documents(render(roster, FLUX))
    for path, manifest in manifests.items():
        assert schema_errors("flux-kustomization.schema.json", manifest) == [], path
        assert path == f"{manifest['metadata']['name']}.yaml"
        spec = manifest["spec"]
        assert spec["prune"] is True
        assert spec["interval"] == "10m"
        assert spec["sourceRef"] == {"kind": "GitRepository", "name": "flux-system"}
    tree = compile_into(roster, tmp_path / "out")
    applied = sorted(m["spec"]["path"].removeprefix("./") for m in manifests.values())
    if roster_model(roster).settings.apply_units == 1:
        assert applied == ["out"]
        return
    # Every file of out/ is under exactly one Kustomization, and no path is missing.
    units_on_disk = sorted({f"out/{path.split('/', 1)[0]}" for path in tree})
    assert applied == units_on_disk
    assert len(applied) < roster_model(roster).settings.apply_units  # the empty unit is left out


def test_every_flux_setting_reaches_the_objects() -> None:
    setting = {
        "engine": "flux",
        "path": "gitops/out",
        "name": "people",
        "namespace": "ops",
        "flux": {
            "interval": "1h",
            "sourceRef": {"kind": "OCIRepository", "name": "users", "namespace": "sources"},
        },
    }
    files = render(SPLIT, setting)
    for text in files.values():
        assert text.splitlines()[:2] == [
            "# Generated by kfroster from users.yaml. Do not edit: change users.yaml and run "
            "kfroster compile.",
            "# Needs Flux 2.0 or later (Kustomization v1).",
        ]
    for manifest in documents(files).values():
        assert manifest["metadata"]["name"].startswith("people-unit-")
        assert manifest["metadata"]["namespace"] == "ops"
        assert manifest["spec"]["path"].startswith("./gitops/out/unit-")
        assert manifest["spec"]["interval"] == "1h"
        assert manifest["spec"]["sourceRef"] == {
            "kind": "OCIRepository",
            "name": "users",
            "namespace": "sources",
        }


def test_an_empty_roster_gets_no_kustomization() -> None:
    roster = Roster.model_validate({"version": 1, "settings": {"deploy": FLUX}})
    assert deploy.render(roster, "users.yaml") == {}


# --------------------------------------------------------------------------------------------
# Argo CD: one ApplicationSet whose Git directory generator finds the units
# --------------------------------------------------------------------------------------------


def rendered_application_names(template_name: str, directories: list[str]) -> list[str]:
    """Substitute the generator's {{.path.basename}} as Argo CD's Go template does."""
    return [template_name.replace("{{.path.basename}}", d.rsplit("/", 1)[-1]) for d in directories]


@pytest.mark.parametrize("roster", ROSTERS)
def test_argocd_application_set_generates_one_application_per_unit(
    roster: Path, tmp_path: Path
) -> None:
    setting = {"engine": "argocd", "argocd": {"repoURL": REPO_URL, "targetRevision": "main"}}
    (manifest,) = documents(render(roster, setting)).values()
    assert schema_errors("argocd-applicationset.schema.json", manifest) == []
    (generator,) = manifest["spec"]["generators"]
    assert generator["git"]["repoURL"] == REPO_URL
    assert generator["git"]["revision"] == "main"
    (pattern,) = [item["path"] for item in generator["git"]["directories"]]
    # Every directory of the repository the generator would match: out/ and its children.
    candidates = ["out", *sorted(f"out/{d}" for d in top_directories(roster, tmp_path))]
    matched = [d for d in candidates if fnmatch.fnmatchcase(d, pattern)]
    template = manifest["spec"]["template"]
    names = rendered_application_names(template["metadata"]["name"], matched)
    occupied = units.occupied(roster_model(roster))
    if occupied == ("",):
        assert matched == ["out"]
        assert names == ["kubeflow-users"]
    else:
        assert matched == [f"out/{unit}" for unit in occupied]
        assert names == [f"kubeflow-users-{unit}" for unit in occupied]
    assert all(len(name) <= 63 and name.islower() for name in names)
    spec = template["spec"]
    assert spec["source"]["path"] == "{{.path.path}}"
    assert spec["source"]["directory"] == {"recurse": True}
    assert spec["destination"] == {"server": "https://kubernetes.default.svc"}
    assert spec["project"] == "default"
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}


@pytest.mark.parametrize(
    ("destination", "expected"),
    [
        ({"name": "prod-eu"}, {"name": "prod-eu"}),
        ({"server": "https://10.0.0.1:6443"}, {"server": "https://10.0.0.1:6443"}),
    ],
)
def test_argocd_destination_and_project_reach_the_template(
    destination: dict[str, str], expected: dict[str, str]
) -> None:
    setting = {
        "engine": "argocd",
        "namespace": "gitops",
        "argocd": {"repoURL": REPO_URL, "project": "kubeflow", "destination": destination},
    }
    (manifest,) = documents(render(SPLIT, setting)).values()
    assert manifest["metadata"]["namespace"] == "gitops"
    spec = manifest["spec"]["template"]["spec"]
    assert spec["destination"] == expected
    assert spec["project"] == "kubeflow"
    assert spec["source"]["targetRevision"] == "HEAD"


def every_deploy_manifest() -> list[Any]:
    """Return what both engines' deploy writes for every test roster, several settings each."""
    settings: list[dict[str, Any]] = [
        FLUX,
        {
            "engine": "flux",
            "name": "people",
            "path": "gitops/out",
            "namespace": "ops",
            "flux": {"interval": "2h30m", "sourceRef": {"kind": "Bucket", "name": "repo"}},
        },
        FLUX_OWN_SOURCE,
        {**FLUX_OWN_SOURCE, "namespace": "ops"},
        ARGOCD,
        {
            "engine": "argocd",
            "path": "a/b",
            "argocd": {
                "repoURL": "git@git.example.com:platform/users.git",
                "targetRevision": "v1.2.3",
                "project": "kubeflow",
                "destination": {"name": "arn:aws:eks:eu-west-1:123456789012:cluster/prod"},
            },
        },
    ]
    rosters = [SINGLE, *sorted(CASES.glob("*/users.yaml"))]
    compiled = [pipeline.compile_roster(roster).deploy for roster in rosters]
    return [
        manifest
        for roster in rosters
        for setting in settings
        for manifest in documents(render(roster, setting)).values()
    ] + [  # and what the golden rosters that set settings.deploy compile to
        manifest
        for deployed in compiled
        if deployed
        for manifest in documents(deployed.files).values()
    ]


def test_deploy_manifests_pass_the_real_crd_schemas() -> None:
    manifests = every_deploy_manifest()
    assert {m["kind"] for m in manifests} == {"Kustomization", "ApplicationSet", "GitRepository"}
    assert gitops_schemas.errors(manifests) == [""] * len(manifests)


def test_the_real_crd_schemas_reject_a_broken_object() -> None:
    kustomization, application_set = (
        next(iter(documents(render(SPLIT, setting)).values())) for setting in (FLUX, ARGOCD)
    )
    bad_interval = json.loads(json.dumps(kustomization))
    bad_interval["spec"]["interval"] = "ten minutes"
    no_prune = json.loads(json.dumps(kustomization))
    del no_prune["spec"]["prune"]
    bad_recurse = json.loads(json.dumps(application_set))
    bad_recurse["spec"]["template"]["spec"]["source"]["directory"]["recurse"] = "true"
    no_destination = json.loads(json.dumps(application_set))
    del no_destination["spec"]["template"]["spec"]["destination"]
    assert gitops_schemas.errors([bad_interval, no_prune, bad_recurse, no_destination]) == [
        'data/spec/interval must match pattern "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"',
        "data/spec must have required property prune",
        "data/spec/template/spec/source/directory/recurse must be boolean",
        "data/spec/template/spec must have required property destination",
    ]


def test_the_schemas_reject_a_broken_object() -> None:
    (application_set,) = documents(render(SPLIT, ARGOCD)).values()
    application_set["spec"]["template"]["spec"]["syncPolicy"]["retry"]["limit"] = "5"
    assert schema_errors("argocd-applicationset.schema.json", application_set) != []
    kustomization = next(iter(documents(render(SPLIT, FLUX)).values()))
    kustomization["spec"]["interval"] = "ten minutes"
    kustomization["spec"]["prunne"] = True
    assert len(schema_errors("flux-kustomization.schema.json", kustomization)) == 2


def test_the_roster_accepts_exactly_what_flux_accepts_as_an_interval() -> None:
    # The roster's pattern is the CRD's; only the minimum of a minute is kfroster's own.
    (kustomization,) = list(documents(render(SINGLE, FLUX)).values())
    samples = ["1m", "90s", "1h30m", "1.5h", "2h0m0s", "10 m", "1d", "m", "1M"]
    crd = []
    for sample in samples:
        kustomization["spec"]["interval"] = sample
        crd.append(json.loads(json.dumps(kustomization)))
    accepted_by_crd = [error == "" for error in gitops_schemas.errors(crd)]
    accepted_by_roster = [
        pipeline.check_text(
            f"version: 1\nsettings: {{deploy: {{engine: flux, flux: {{interval: '{sample}'}}}}}}\n",
            "users.yaml",
        ).roster
        is not None
        for sample in samples
    ]
    assert accepted_by_roster == accepted_by_crd == [True] * 5 + [False] * 4


# --------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------


def test_the_same_roster_gives_the_same_bytes_whatever_its_order() -> None:
    model = roster_model(SPLIT)
    shuffled = model.model_copy(
        update={"profiles": model.profiles[::-1], "users": model.users[::-1]}
    )
    for setting in (FLUX, ARGOCD):
        assert deploy.render(deploying(model, setting), "users.yaml") == deploy.render(
            deploying(shuffled, setting), "users.yaml"
        )


def test_the_same_roster_gives_the_same_bytes_in_another_process(tmp_path: Path) -> None:
    # Another hash seed and locale: nothing in the bytes depends on them.
    roster = tmp_path / "users.yaml"
    roster.write_text(
        with_deploy(SPLIT.read_text(encoding="utf-8"), "{engine: flux}"), encoding="utf-8"
    )
    code = (
        "import sys, json; from pathlib import Path; from compiler import pipeline; "
        "print(json.dumps(pipeline.compile_roster(Path(sys.argv[1])).deploy.files))"
    )
    outputs = {
        subprocess.run(
            [Path(__import__("sys").executable), "-c", code, str(roster)],
            env={"PYTHONHASHSEED": seed, "LC_ALL": locale, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed, locale in (("1", "C"), ("4242", "C.UTF-8"))
    }
    assert len(outputs) == 1
    assert json.loads(outputs.pop()) == pipeline.compile_roster(roster).deploy.files  # type: ignore[union-attr]


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


@pytest.fixture
def flux_roster(tmp_path: Path) -> Path:
    """The four-unit roster with settings.deploy: {engine: flux}, in a directory of its own."""
    roster = tmp_path / "repo" / "users.yaml"
    roster.parent.mkdir()
    text = with_deploy(SPLIT.read_text(encoding="utf-8"), "{engine: flux}")
    roster.write_text(text, encoding="utf-8")
    return roster


def test_deploy_writes_then_checks_what_the_setting_says(
    runner: CliRunner, flux_roster: Path
) -> None:
    out = flux_roster.parent / "deploy"  # settings.deploy.directory, beside the roster
    result = invoke(runner, "deploy", flux_roster)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"wrote {out}/ for flux: 3 files, 3 added, 0 changed, 0 removed\n"
    expected = render(SPLIT, FLUX)
    assert read_tree(out) == {path: text.encode() for path, text in expected.items()}

    result = invoke(runner, "deploy", "--check", flux_roster)
    assert (result.exit_code, result.stderr) == (
        0,
        f"{out}/ is up to date with {flux_roster} (3 files)\n",
    )

    (out / "kubeflow-users-unit-001.yaml").unlink()
    result = invoke(runner, "deploy", "--check", flux_roster)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{out}/ is not what {flux_roster} compiles to:",
        f"  missing  {out}/kubeflow-users-unit-001.yaml",
        f"run `kfroster compile {flux_roster}` and commit {out}/",
    ]
    assert not (out / "kubeflow-users-unit-001.yaml").exists()  # --check wrote nothing


def test_deploy_prints_the_manifests_with_a_dash(runner: CliRunner, flux_roster: Path) -> None:
    result = invoke(runner, "deploy", "--deploy", "-", flux_roster)
    assert result.exit_code == 0, result.stderr
    expected = render(SPLIT, FLUX)
    assert result.stdout == "".join(expected[name] for name in sorted(expected))
    assert [doc["metadata"]["name"] for doc in yaml.safe_load_all(result.stdout)] == [
        "kubeflow-users-unit-001",
        "kubeflow-users-unit-002",
        "kubeflow-users-unit-003",
    ]
    assert not (flux_roster.parent / "deploy").exists()


def test_deploy_without_the_setting_says_what_to_add(
    runner: CliRunner, tmp_path: Path, roster_file: Any
) -> None:
    roster = roster_file("version: 1\n")
    result = invoke(runner, "deploy", roster)
    assert result.exit_code == 1
    assert "sets no settings.deploy" in result.stderr
    assert "settings: {deploy: {engine: flux}}" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["users.yaml"]


def test_the_deprecated_options_still_work_and_say_what_to_write_instead(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "deploy"
    args = ["--argocd", "--repo-url", REPO_URL, "--revision", "main", "--path", "./gitops/out/"]
    result = invoke(runner, "deploy", *args, "--deploy", out, SPLIT)
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("warning: --flux, --argocd and the options that go with them are")
    assert lines[1:-1] == [
        "  settings:",
        "    deploy:",
        "      engine: argocd",
        "      path: gitops/out",
        "      argocd:",
        f"        repoURL: {REPO_URL}",
        "        targetRevision: main",
    ]
    setting = {
        "engine": "argocd",
        "path": "gitops/out",
        "argocd": {"repoURL": REPO_URL, "targetRevision": "main"},
    }
    # The block it prints gives exactly the files it wrote.
    assert read_tree(out) == {p: text.encode() for p, text in render(SPLIT, setting).items()}
    result = invoke(runner, "deploy", *args, "--out", out, "--check", SPLIT)
    assert result.exit_code == 0, result.stderr


def test_deprecated_options_beside_the_setting_are_refused(
    runner: CliRunner, flux_roster: Path
) -> None:
    result = invoke(runner, "deploy", "--flux", flux_roster)
    assert result.exit_code == 2
    assert "sets settings.deploy already; drop the deprecated options" in result.stderr
    assert not (flux_roster.parent / "deploy").exists()


def test_deploy_argocd_replaces_the_flux_files(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "deploy"
    assert invoke(runner, "deploy", "--flux", "--deploy", out, SPLIT).exit_code == 0
    result = invoke(runner, "deploy", "--argocd", "--repo-url", REPO_URL, "--deploy", out, SPLIT)
    assert result.exit_code == 0, result.stderr
    assert sorted(read_tree(out)) == ["kubeflow-users.yaml"]


def test_deploy_never_deletes_a_foreign_file(runner: CliRunner, flux_roster: Path) -> None:
    out = flux_roster.parent / "deploy"
    out.mkdir()
    (out / "notes.md").write_text("mine\n", encoding="utf-8")
    result = invoke(runner, "deploy", flux_roster)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {out}/notes.md: not generated by kfroster")
    assert sorted(p.name for p in out.iterdir()) == ["notes.md"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--flux", "--argocd"], "choose one engine: --flux or --argocd"),
        (["--argocd"], "settings.deploy chooses Argo CD, which needs argocd.repoURL"),
        (["--flux", "--revision", "main"], "settings.deploy.argocd is read by Argo CD only"),
        (["--flux", "--name", "Kubeflow"], "settings.deploy.name must be a DNS-1123 label"),
        (["--flux", "--path", "../out"], "it climbs out with '..'"),
        (["--argocd", "--repo-url", "http://x.example.com/a.git"], "uses plain http"),
    ],
)
def test_deprecated_options_are_checked_like_the_setting(
    runner: CliRunner, args: list[str], message: str, tmp_path: Path
) -> None:
    result = invoke(runner, "deploy", *args, "--deploy", tmp_path / "deploy", SPLIT)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "deploy").exists()


def test_deploy_refuses_an_invalid_roster(
    runner: CliRunner, tmp_path: Path, roster_file: Any
) -> None:
    roster = roster_file("version: 1\nprofiles:\n  - {name: kube-system, owner: nobody}\n")
    result = invoke(runner, "deploy", "--flux", "--deploy", tmp_path / "deploy", roster)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"{roster}: invalid, nothing written (2 errors)"
    assert not (tmp_path / "deploy").exists()


# --------------------------------------------------------------------------------------------
# Clusters: deploy/<cluster>/ for Flux, one list-generated ApplicationSet for Argo CD
# --------------------------------------------------------------------------------------------

CLUSTERS = """\
version: 1
settings:
  deploy: {SETTING}
clusters:
  - name: prod-eu
    settings: {PROD}
  - name: staging
    settings: {STAGING}
users:
  - {name: alice, email: alice@example.com, clusterRole: admin, clusters: [staging]}
  - {name: bob, email: bob@example.com}
profiles:
  - {name: alice, owner: alice, clusters: [prod-eu]}
  - {name: bob, owner: bob}
"""


def clusters_roster(setting: str, prod: str = "{}", staging: str = "{}") -> Roster:
    text = CLUSTERS.replace("{SETTING}", setting).replace("{PROD}", prod)
    checked = pipeline.check_text(text.replace("{STAGING}", staging), "users.yaml")
    assert checked.roster is not None, checked.problems
    return checked.roster


def test_flux_gets_a_directory_per_cluster_pointing_at_its_tree() -> None:
    roster = clusters_roster(
        "{engine: flux, flux: {interval: 10m}}",
        prod="{applyUnits: 3, deploy: {flux: {sourceRef: {name: prod-repo}}}}",
        staging="{deploy: {flux: {interval: 1h}}}",
    )
    files = documents(deploy.render(roster, "users.yaml"))
    occupied = units.occupied(pipeline.cluster_roster(roster, "prod-eu"))
    assert sorted(files) == [
        *(f"prod-eu/kubeflow-users-{unit}.yaml" for unit in occupied),
        "staging/kubeflow-users.yaml",
    ]
    staging = files["staging/kubeflow-users.yaml"]
    assert staging["spec"]["path"] == "./out/staging"
    assert staging["spec"]["interval"] == "1h"  # the cluster's
    assert staging["spec"]["sourceRef"] == {"kind": "GitRepository", "name": "flux-system"}
    for unit in occupied:
        prod = files[f"prod-eu/kubeflow-users-{unit}.yaml"]
        assert prod["metadata"]["name"] == f"kubeflow-users-{unit}"  # as without clusters
        assert prod["spec"]["path"] == f"./out/prod-eu/{unit}"
        assert prod["spec"]["interval"] == "10m"  # the roster's
        assert prod["spec"]["sourceRef"] == {"kind": "GitRepository", "name": "prod-repo"}
    manifests = list(files.values())
    assert all(schema_errors("flux-kustomization.schema.json", m) == [] for m in manifests)
    assert gitops_schemas.errors(manifests) == [""] * len(manifests)


def test_argocd_gets_one_application_set_with_an_element_per_cluster_and_unit() -> None:
    roster = clusters_roster(
        f"{{engine: argocd, argocd: {{repoURL: '{REPO_URL}', project: kubeflow}}}}",
        prod="{applyUnits: 3, deploy: {argocd: {destination: {name: prod-eu}}}}",
        staging="{deploy: {argocd: {project: staging, destination: {server: 'https://10.0.0.2:6443'}}}}",
    )
    (manifest,) = documents(deploy.render(roster, "users.yaml")).values()
    assert schema_errors("argocd-applicationset.schema.json", manifest) == []
    assert gitops_schemas.errors([manifest]) == [""]
    (generator,) = manifest["spec"]["generators"]
    elements = generator["list"]["elements"]
    occupied = units.occupied(pipeline.cluster_roster(roster, "prod-eu"))
    assert elements == [
        *(
            {
                "application": f"kubeflow-users-prod-eu-{unit}",
                "cluster": "prod-eu",
                "path": f"out/prod-eu/{unit}",
                "project": "kubeflow",
                "destinationName": "prod-eu",
                "destinationServer": "",
            }
            for unit in occupied
        ),
        {
            "application": "kubeflow-users-staging",
            "cluster": "staging",
            "path": "out/staging",
            "project": "staging",
            "destinationName": "",
            "destinationServer": "https://10.0.0.2:6443",
        },
    ]
    # Every element's path is a directory the compile writes, holding that cluster's files.
    written = {path.rsplit("/", 2)[0] for path in pipeline.render_files(roster, "users.yaml")}
    for element in elements:
        inside = element["path"].removeprefix("out/")
        assert any(
            directory == inside or directory.startswith(inside + "/") for directory in written
        )
    template = manifest["spec"]["template"]
    assert template["metadata"]["name"] == "{{.application}}"
    spec = template["spec"]
    assert spec["destination"] == {
        "name": "{{.destinationName}}",
        "server": "{{.destinationServer}}",
    }
    assert spec["source"]["path"] == "{{.path}}"
    assert spec["project"] == "{{.project}}"
    # Dropping an element deletes its Application and, through the resources finalizer,
    # what it applied; only what carries Delete=false stays: grants go, data stays.
    assert "syncPolicy" not in manifest["spec"]
    assert "finalizers" not in template["metadata"]


def test_every_key_the_template_reads_is_in_every_element() -> None:
    roster = clusters_roster(
        f"{{engine: argocd, argocd: {{repoURL: '{REPO_URL}'}}}}",
        prod="{deploy: {argocd: {destination: {name: prod-eu}}}}",
    )
    (manifest,) = documents(deploy.render(roster, "users.yaml")).values()
    text = json.dumps(manifest["spec"]["template"])
    read = set(re.findall(r"\{\{\.([A-Za-z]+)\}\}", text))
    for element in manifest["spec"]["generators"][0]["list"]["elements"]:
        assert read <= element.keys()  # missingkey=error would fail the whole ApplicationSet


@pytest.mark.parametrize("spelling", ["--out", "-o"])
def test_deploy_keeps_its_old_directory_option_for_a_release(
    runner: CliRunner, flux_roster: Path, tmp_path: Path, spelling: str
) -> None:
    """`--out`/`-o` named deploy/ before `--deploy`; they still do, with a warning."""
    out = tmp_path / "elsewhere"
    result = invoke(runner, "deploy", spelling, out, flux_roster)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "warning: kfroster deploy --out DIR (or -o DIR) is deprecated and goes in the next "
        "release; use --deploy DIR; in the next release --out names the compiled tree, as in "
        "compile",
        f"wrote {out}/ for flux: 3 files, 3 added, 0 changed, 0 removed",
    ]
    assert len(read_tree(out)) == 3


@pytest.mark.parametrize("roster", ROSTERS)
def test_flux_reads_the_git_repository_written_beside_the_kustomizations(roster: Path) -> None:
    read = documents(render(roster, {**FLUX_OWN_SOURCE, "namespace": "ops"}))
    sources = [m for m in read.values() if m["kind"] == "GitRepository"]
    assert [path for path, m in read.items() if m["kind"] == "GitRepository"] == [
        "kubeflow-users-gitrepository.yaml"
    ]
    (source,) = sources
    assert source["metadata"] == {
        "name": "kubeflow-users",
        "namespace": "ops",
        "labels": {"app.kubernetes.io/managed-by": "kfroster"},
    }
    assert source["spec"] == {
        "interval": "1m",
        "url": REPO_URL,
        "ref": {"branch": "release"},
        "secretRef": {"name": "roster-git"},
    }
    kustomizations = [m for m in read.values() if m["kind"] == "Kustomization"]
    assert kustomizations
    for kustomization in kustomizations:
        # No namespace in sourceRef: the Kustomization's own, where the GitRepository is.
        assert kustomization["spec"]["sourceRef"] == {
            "kind": "GitRepository",
            "name": "kubeflow-users",
        }
        assert kustomization["metadata"]["namespace"] == source["metadata"]["namespace"]
        assert kustomization["spec"]["path"].startswith("./teams/kubeflow/out")


@pytest.mark.parametrize(
    ("flux", "message"),
    [
        (
            "{sourceRef: {kind: Bucket, name: b}, gitRepository: {url: 'https://git.example.com/r'}}",
            "gitRepository needs sourceRef.kind GitRepository",
        ),
        ("{gitRepository: {url: 'http://git.example.com/r'}}", "gitRepository.url"),
        ("{gitRepository: {url: 'git@git.example.com:r.git'}}", "gitRepository.url"),
        ("{gitRepository: {branch: main}}", "missing the required key 'url'"),
    ],
)
def test_a_git_repository_flux_cannot_read_is_refused_at_its_line(flux: str, message: str) -> None:
    text = f"version: 1\nsettings:\n  deploy:\n    engine: flux\n    flux: {flux}\n"
    checked = pipeline.check_text(text, "users.yaml")
    assert checked.roster is None
    (error,) = [p for p in checked.problems if p.level == "error"]
    assert message in error.message, error
    assert error.line == 5
