"""helmfile: argv building and reading ``list --output json`` (pure), and a runner that streams
its output into a log group.

``HELMFILE_VERSION`` / ``HELM_VERSION`` / ``HELM_DIFF_VERSION`` are the versions the action image
installs (the Dockerfile's build arguments of the same names, spelled as there); a local run needs
the same (the helm-diff plugin is what ``helmfile diff`` and ``apply`` use).
"""

HELMFILE_VERSION = "1.1.7"
HELM_VERSION = "v3.22.0"
HELM_DIFF_VERSION = "v3.15.10"
REQUIREMENT = (f"helmfile {HELMFILE_VERSION} with helm {HELM_VERSION} and the helm-diff plugin "
               f"{HELM_DIFF_VERSION}")
