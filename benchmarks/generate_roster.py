"""Generate a realistic roster of N users, for timing the compiler.

The mix: about 1% cluster-wide admins, a personal profile for most people, a team
profile (with a group, extra contributors and its own quota and limits) per 25 people.
Deterministic for a given N and seed.

    python benchmarks/generate_roster.py 1000 > /tmp/users-1000.yaml
"""

from __future__ import annotations

import argparse
import random
import sys


def generate(users: int, seed: int = 0) -> str:
    """Return the text of a valid roster with `users` people."""
    rng = random.Random(seed)
    names = [f"user{number:06d}" for number in range(users)]
    lines = [
        "# yaml-language-server: $schema=schemas/users.schema.json",
        "version: 1",
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
        role = " clusterRole: admin," if number % 100 == 0 else ""
        lines.append(f"  - {{name: {name},{role} email: {name}.{number % 7}@example.com}}")
    teams = [names[start : start + 25] for start in range(0, users, 25)]
    lines.append("groups:")
    for number, members in enumerate(teams):
        lines.append(f"  - name: team{number:05d}")
        lines.append(f"    members: [{', '.join(members)}]")
    lines.append("profiles:")
    for number, name in enumerate(names):
        if number % 10 == 9:
            continue  # not everybody has a personal namespace
        lines.append(f"  - {{name: {name}, owner: {name}}}")
    for number, members in enumerate(teams):
        owner = members[0]
        guests = rng.sample(names, k=min(3, len(names)))
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
        lines += [f"      - {{user: {guest}, role: view}}" for guest in guests if guest != owner]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print a roster of N users to stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("users", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sys.stdout.write(generate(args.users, args.seed))


if __name__ == "__main__":
    main()
