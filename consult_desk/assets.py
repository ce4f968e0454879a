"""Where the bundled resources (fonts, reference data, translations) are, installed or not."""

import importlib.resources
import json
from pathlib import Path
from typing import Any


def resource_dir() -> Path:
    # A wheel carries resources/ inside the package; a checkout has it beside the package.
    packaged = Path(str(importlib.resources.files("consult_desk"))) / "resources"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "resources"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("resources folder not found")


def reference_data(name: str) -> Any:
    """One JSON file of resources/reference, e.g. ``reference_data("plan")``."""
    path = resource_dir() / "reference" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def font_path(bold: bool = False) -> Path:
    name = "BIZUDPGothic-Bold.ttf" if bold else "BIZUDPGothic-Regular.ttf"
    return resource_dir() / "fonts" / name
