"""The Hailo model manifest and label files, shipped as package data (never the HEFs)."""

from pathlib import Path

#: The folder holding manifest.yaml and the label files, in a checkout or an installed wheel.
MANIFEST_DIR = Path(__file__).resolve().parent
