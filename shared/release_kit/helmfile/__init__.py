"""helmfile: argv building and reading ``list --output json`` (pure), and a runner that streams
its output into a log group.

``HELMFILE_VERSION`` / ``HELM_VERSION`` name the versions the action image provides; a local run
needs the same (plus the helm-diff plugin, which ``helmfile diff`` and ``apply`` use).
"""

HELMFILE_VERSION = "v1.1.x"
HELM_VERSION = "v3.18.x"
REQUIREMENT = f"helmfile {HELMFILE_VERSION} with helm {HELM_VERSION} and the helm-diff plugin"
