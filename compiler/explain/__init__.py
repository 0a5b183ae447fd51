"""Who can do what: one person's access, and what the Kubeflow roles allow."""
