"""Container images in Amazon ECR: names, manifests, promotion plans, and the ECR adapter.

The pure parts (``references``, ``tags``, ``manifests``, ``plan``) decide; ``ecr`` and ``blobs``
talk to the registry; ``promotion`` strings them together for the ``promote-image`` action.
boto3 is only imported by the adapter, lazily.
"""
