"""EKS access without the aws CLI: role chain, DescribeCluster, bearer tokens, a kubeconfig.

- ``token``: the ``k8s-aws-v1.`` bearer token (as ``aws eks get-token`` builds it) and the
  ``release-kit eks-token`` exec credential plugin.
- ``kubeconfig``: the cluster's endpoint and CA from DescribeCluster, written as a private
  temporary kubeconfig whose user runs that plugin.
"""
