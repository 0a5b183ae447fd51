"""Generate the cluster dump of a generated roster, for timing `kfroster drift`.

The cluster is what tests/fake_cluster.py builds: the compiled roster as Flux applies it
(server side: managed fields that list every field), what the profile controller makes for
each Profile, a few objects every Kubeflow cluster has, and the API server's fields; then
a little drift of each kind, so the report has something to say. Printed as
`kubectl get … -o json` (4-space indentation) or `-o yaml` prints it.

    python benchmarks/generate_dump.py 1000 --format json > /tmp/cluster-1000.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from generate_roster import generate  # noqa: E402  (a sibling script)

from compiler import pipeline  # noqa: E402
from compiler.model.keys import Manifest  # noqa: E402
from compiler.yamlio import emitter  # noqa: E402
from tests.fake_cluster import (  # noqa: E402
    cluster_of,
    cluster_role_binding,
    contributor,
    kubectl_list,
    profile,
    user,
)


def cluster(users: int) -> list[Manifest]:
    """Return the objects of the cluster of a generated roster of `users` people."""
    checked = pipeline.check_text(generate(users), "users.yaml")
    if checked.roster is None:
        raise SystemExit(f"the generated roster is invalid: {checked.problems[:3]}")
    manifests = cluster_of(checked.roster)
    first = checked.roster.profiles[0].name
    manifests += contributor("added.in.dashboard@example.com", namespace=first)
    manifests.append(cluster_role_binding("by-hand", "cluster-admin", user("eve@example.com")))
    manifests.append(profile("self-registered", "newcomer@example.com"))
    return manifests


def dumps(manifests: list[Manifest], form: str) -> str:
    """Print the objects as kubectl does, in JSON or YAML."""
    listing = kubectl_list(manifests, server_side=True)
    if form == "json":
        return json.dumps(listing, indent=4) + "\n"
    return emitter.dumps(listing)


def main() -> None:
    """Print the dump of a generated roster of N users to stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("users", type=int)
    parser.add_argument("--format", choices=("json", "yaml"), default="json")
    args = parser.parse_args()
    sys.stdout.write(dumps(cluster(args.users), args.format))


if __name__ == "__main__":
    main()
