"""KFAM's contributor object name, transcribed for tests, independently of compiler/.

The test oracle for `compiler.model.names.kfam_name`: written from upstream's Go source,
never imported from the compiler, so a simplified formula there cannot hide behind the
same simplification here.
"""

from __future__ import annotations

import re

# Go's regexp "[^a-zA-Z0-9]+": any run of characters other than ASCII letters and digits
# (non-ASCII letters included, since the class is ASCII).
_SEPARATORS = re.compile("[^0-9A-Za-z]+")


def binding_name(email: str, role: str) -> str:
    """Return what KFAM's getBindingName makes of a User contributor with a ClusterRole.

    kubeflow/dashboard components/access-management/kfam/bindings.go L61-78 at
    d84246482d865a2bbd7e782ccafa6cd842bf6999 (byte-identical function in kubeflow/kubeflow
    v1.7.0, cce5c880, L60-77; and v1.8.0-v1.10.0):

        reg, err := regexp.Compile("[^a-zA-Z0-9]+")
        nameRaw := strings.ToLower(
            strings.Join([]string{
                binding.User.Kind,
                url.QueryEscape(reg.ReplaceAllString(binding.User.Name, "-")),
                binding.RoleRef.Kind,
                binding.RoleRef.Name,
            }, "-"),
        )
        return reg.ReplaceAllString(nameRaw, "-"), nil

    The dashboard sends User.Kind "User" and RoleRef.Kind "ClusterRole"
    (components/centraldashboard/app/api_workgroup.ts L89-102). Two regex passes: the
    first on the email alone, the second on the joined, lower-cased name, which merges a
    '-' left at either end of the email with its joiner. url.QueryEscape leaves
    `[A-Za-z0-9-]` alone, all the first pass leaves, so it is omitted here.
    """
    first_pass = _SEPARATORS.sub("-", email)
    name_raw = "-".join(["User", first_pass, "ClusterRole", role]).lower()
    return _SEPARATORS.sub("-", name_raw)
