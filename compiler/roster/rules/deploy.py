"""Rules on settings.deploy: what the engine it names needs, and what it does not read.

Each field is checked by the models on its own; these rules check a whole setting, so a
setting made of parts (one cluster's overrides merged over the top-level setting) is
checked here once it is whole.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.model.roster import Deploy
from compiler.problems import NodePath
from compiler.roster.rules.facts import Facts, Finding

_ENGINE_NAMES = {"flux": "Flux", "argocd": "Argo CD"}


def other_engine_blocks(deploy: Deploy) -> list[str]:
    """Return the engine blocks (flux, argocd) a setting gives for the engine it does not use."""
    given = {"flux": deploy.flux, "argocd": deploy.argocd}
    return [
        engine for engine, block in given.items() if block is not None and engine != deploy.engine
    ]


def lacks_repo_url(deploy: Deploy) -> bool:
    """Tell whether a setting chooses Argo CD without the repository it clones."""
    return deploy.engine == "argocd" and (deploy.argocd is None or deploy.argocd.repo_url is None)


def deploy_other_engine(facts: Facts) -> Iterator[Finding]:
    """settings.deploy gives the block of the engine it does not use, which nothing would read.

    settings:
      deploy:
        engine: flux
        argocd: {repoURL: "https://git.example.com/platform/users.git"}
    """
    deploy = facts.parsed.roster.settings.deploy
    if deploy is None:
        return
    for engine in other_engine_blocks(deploy):
        yield Finding(
            _at(facts, "deploy", engine),
            f"settings.deploy.{engine} is read by {_ENGINE_NAMES[engine]} only, but the engine "
            f"is {deploy.engine}: remove it, or set engine: {engine}",
            key=True,
        )


def argocd_without_repo_url(facts: Facts) -> Iterator[Finding]:
    """settings.deploy chooses Argo CD but does not say which repository it clones.

    settings:
      deploy: {engine: argocd}
    """
    deploy = facts.parsed.roster.settings.deploy
    if deploy is None or not lacks_repo_url(deploy):
        return
    where = ("deploy", "argocd") if deploy.argocd is not None else ("deploy", "engine")
    yield Finding(
        _at(facts, *where),
        "settings.deploy chooses Argo CD, which needs argocd.repoURL: the URL it clones this "
        "repository from (the ApplicationSet reads out/ there)",
        key=deploy.argocd is not None,
    )


def _at(facts: Facts, *rest: str) -> NodePath:
    return facts.parsed.path_of(facts.parsed.roster.settings, *rest)
