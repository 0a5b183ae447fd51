"""What a rendered Kubernetes object is, as the renderers hand it to the emitter."""

from typing import Any

# A plain dict, keys in the order they are to be written: apiVersion, kind, metadata, body.
Manifest = dict[str, Any]
