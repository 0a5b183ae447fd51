"""`kfroster roles`: the chart (chart.py) of what Kubeflow's roles allow, computed from the
vendored upstream ClusterRoles (upstream.py, kubeflow-roles.yaml), and its forms (presentation.py).
"""
