"""kfroster: compile one users.yaml into Kubeflow profiles and permissions."""

__version__ = "0.1.0"
