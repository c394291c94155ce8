"""Kubernetes: a thin adapter over the kubernetes client (``api``) and pure readings of what it
returns (``diagnostics``): Ingresses for the URL, pods that are not ready and why, warning
events, Helm release secrets, namespace deletion.
"""
