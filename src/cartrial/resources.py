"""Where the bundled data lives: package data of ``cartrial`` (so an installed wheel has it).

``CARTRIAL_TRIALS_DIR`` / ``CARTRIAL_EXAMPLES_DIR`` override the bundled folders.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"


def trials_dir() -> Path:
    """The computable protocol files (``NCT*.yaml``)."""
    env = os.environ.get("CARTRIAL_TRIALS_DIR")
    return Path(env) if env else DATA_DIR / "trials"


def examples_dir() -> Path:
    """The demo material: ``patients/*.json`` FHIR bundles and their README."""
    env = os.environ.get("CARTRIAL_EXAMPLES_DIR")
    return Path(env) if env else DATA_DIR / "examples"
