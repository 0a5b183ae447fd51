"""The real Flux and Argo CD CRD schemas, run by Node from pinned npm packages.

No package on PyPI carries them. tests/crd_schemas/ pins two npm packages generated
from the projects' released CRD manifests (their package.json lists the inputs):
@kubernetes-models/flux-cd 3.0.1 (kustomize-controller v1.8.4, source-controller v1.8.3:
Flux 2.8) and @kubernetes-models/argo-cd 2.7.2 (argo-cd v2.14.11 manifests/crds). Its
package-lock.json pins every package by hash; `npm ci` installs exactly that, and does it
here when node_modules is missing, so a fresh machine needs only Node.js and npm.

These schemas, like the CRDs, accept unknown fields (the API server prunes them), so the
closed schemas under tests/schemas/ still catch misspelt keys; both are checked.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.npm_packages import npm_ci

PACKAGES = Path(__file__).parent / "crd_schemas"


def install() -> None:
    """Install the pinned validators from the lock file, unless they are installed."""
    npm_ci(PACKAGES, "the real CRD schemas")


def errors(objects: list[Any]) -> list[str]:
    """Return, for each object, what its real CRD schema says is wrong ("" when valid)."""
    install()
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("the real CRD schemas need Node.js (tests/crd_schemas/)")
    done = subprocess.run(
        [node, "validate.mjs"],
        cwd=PACKAGES,
        input=json.dumps(objects),
        capture_output=True,
        text=True,
        check=True,
    )
    found: list[str] = json.loads(done.stdout)
    return found
