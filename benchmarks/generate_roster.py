"""Generate a realistic roster of N users, for timing the compiler.

The mix: about 1% cluster-wide admins, a personal profile for 90% of people, a team
profile per 25 people (with its group as editors, three guests as viewers, and its own
quota and limits), defaults for everyone else. `settings.applyUnits` is chosen so a
unit holds about 520 objects on average (at most 999 units), which keeps the fullest
unit under 1,000. Deterministic for a given N and seed.

`--change PERCENT` changes that share of the users, the same ones every time: a third
get a cluster-wide view role, a third get their own quota, a third leave their team.

`--clusters K` (K of at least 1) names K clusters, `cluster-01` ... : each overrides
settings.applyUnits (the value every cluster gets, so the merged settings are equal
and profiles render once for all), every 20th personal profile exists in the first
cluster only, and the cluster-wide admins' role holds in the first cluster only.

    python benchmarks/generate_roster.py 1000 > /tmp/users-1000.yaml
    python benchmarks/generate_roster.py 1000 --change 1 > /tmp/users-1000-changed.yaml
"""

from __future__ import annotations

import argparse
import math
import sys

TEAM_SIZE = 25
GUESTS_PER_TEAM = 3
# About 5 objects per person (Namespace, Profile, LimitRange; a team's RoleBinding and
# AuthorizationPolicy per member and guest). Units are filled at random by hash, in
# chunks of up to ~60 objects (a team), so the average stays well below 1,000.
OBJECTS_PER_USER = 5
OBJECTS_PER_UNIT = 520
MAX_UNITS = 999  # compiler.models.MAX_APPLY_UNITS


def apply_units_for(users: int) -> int:
    """Return the applyUnits that keeps a unit of this roster near 520 objects."""
    return max(1, min(MAX_UNITS, math.ceil(users * OBJECTS_PER_USER / OBJECTS_PER_UNIT)))


def changed_users(users: int, percent: float) -> dict[int, str]:
    """Return the users a change of `percent`% touches, by index, and how each changes."""
    if percent <= 0:
        return {}
    step = max(1, round(100 / percent))
    kinds = ("cluster-view", "own-quota", "left-team")
    # Spread over the roster, never a team's first member (its owner).
    chosen = [i for i in range(7, users, step) if i % TEAM_SIZE != 0]
    return {index: kinds[n % len(kinds)] for n, index in enumerate(chosen)}


def cluster_names(clusters: int) -> list[str]:
    """Return the names of a generated roster's clusters."""
    return [f"cluster-{number:02d}" for number in range(1, clusters + 1)]


def generate(users: int, seed: int = 0, change: float = 0.0, clusters: int = 0) -> str:
    """Return the text of a valid roster with `users` people, `change`% of them changed.

    With `clusters`, the roster names that many clusters (see the module's docstring).
    """
    # A linear congruential generator rather than random.Random: the guests must not
    # depend on the Python version's sampling algorithm.
    state = seed * 2654435761 + 1

    def pick(bound: int) -> int:
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return (state >> 33) % bound

    changes = changed_users(users, change)
    names = [f"user{number:06d}" for number in range(users)]
    first = cluster_names(clusters)[:1]
    only_first = f" clusters: [{first[0]}]," if first else ""
    lines = [
        "# yaml-language-server: $schema=schemas/users.schema.json",
        "version: 1",
        "settings:",
        f"  applyUnits: {apply_units_for(users)}",
        "policy:",
        "  emailDomains: [example.com]",
        "  clusterWideRoles: allow",
        '  maxQuota: {cpu: "256", memory: 1Ti, requests.nvidia.com/gpu: "16"}',
        "defaults:",
        "  resourceQuota:",
        '    hard: {cpu: "8", memory: 32Gi, requests.nvidia.com/gpu: "0"}',
        "  limitRange:",
        "    default: {cpu: 800m, memory: 1Gi}",
        "    defaultRequest: {cpu: 200m, memory: 256Mi}",
        "users:",
    ]
    for number, name in enumerate(names):
        role = ""
        if number % 100 == 0:
            role = f" clusterRole: admin,{only_first}"
        elif changes.get(number) == "cluster-view":
            role = " clusterRole: view,"
        lines.append(f"  - {{name: {name},{role} email: {name}.{number % 7}@example.com}}")
    teams = [
        [n for n in range(start, min(start + TEAM_SIZE, users)) if changes.get(n) != "left-team"]
        for start in range(0, users, TEAM_SIZE)
    ]
    lines.append("groups:")
    for number, members in enumerate(teams):
        lines.append(f"  - name: team{number:05d}")
        lines.append(f"    members: [{', '.join(names[n] for n in members)}]")
    lines.append("profiles:")
    for number, name in enumerate(names):
        if number % 10 == 9 and changes.get(number) != "left-team":
            continue  # not everybody has a personal namespace (a leaver keeps working alone)
        if changes.get(number) == "own-quota":
            lines += [
                f"  - name: {name}",
                f"    owner: {name}",
                "    resourceQuota:",
                '      hard: {cpu: "16", memory: 64Gi, requests.nvidia.com/gpu: "1"}',
            ]
        elif number % 20 == 3 and only_first:
            lines.append(f"  - {{name: {name}, owner: {name},{only_first}}}")
        else:
            lines.append(f"  - {{name: {name}, owner: {name}}}")
    for number in range(len(teams)):
        owner = names[number * TEAM_SIZE]
        guests = sorted({pick(users) for _ in range(min(GUESTS_PER_TEAM, users))})
        lines += [
            f"  - name: team{number:05d}",
            f"    owner: {owner}",
            '    resourceQuota: {hard: {cpu: "64", memory: 256Gi, requests.nvidia.com/gpu: "4"}}',
            "    limitRange:",
            '      default: {cpu: "2", memory: 4Gi}',
            "      defaultRequest: {cpu: 500m, memory: 1Gi}",
            "    contributors:",
            f"      - {{group: team{number:05d}, role: edit}}",
        ]
        viewers = [names[guest] for guest in guests if names[guest] != owner]
        lines += [f"      - {{user: {viewer}, role: view}}" for viewer in viewers]
    if clusters:
        lines.append("clusters:")
        lines += [
            f"  - {{name: {name}, settings: {{applyUnits: {apply_units_for(users)}}}}}"
            for name in cluster_names(clusters)
        ]
    return "\n".join(lines) + "\n"


def fan_out(users: int, profiles: int) -> str:
    """A valid roster: `users` people in one group that edits `profiles` profiles."""
    lines = ["version: 1", "users:"]
    lines += [f"  - {{name: u{i}, email: u{i}@example.com}}" for i in range(users)]
    lines += ["groups:", "  - name: everyone", "    members:"]
    lines += [f"      - u{i}" for i in range(users)]
    lines += ["profiles:"]
    lines += [
        f"  - {{name: p{i}, owner: u0, contributors: [{{group: everyone, role: edit}}]}}"
        for i in range(profiles)
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print a roster of N users to stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("users", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--change", type=float, default=0.0, metavar="PERCENT", help="users to change, in %%"
    )
    parser.add_argument("--clusters", type=int, default=0, metavar="K", help="clusters to name")
    args = parser.parse_args()
    sys.stdout.write(generate(args.users, args.seed, args.change, args.clusters))


if __name__ == "__main__":
    main()
