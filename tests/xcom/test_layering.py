"""The xcom library's layering, read from the source with ``ast`` (nothing is imported).

(a) The library is publishable on its own: it imports only the standard library, itself and
    serialx (the serial port), never Home Assistant nor the integration around it.
(b) Layers only import downward: protocol <- links <- client <- catalog, discovery <- simulator
    <- cli <- __main__. ``errors`` is shared by all (and itself needs only the protocol's
    constants, for the error code names). Imports inside functions and under TYPE_CHECKING
    count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
import sys

import pytest

import custom_components.studer_innotec.xcom as xcom_package

ROOT = Path(xcom_package.__file__).parent
PACKAGE = "custom_components.studer_innotec.xcom"
THIRD_PARTY = frozenset({"serialx"})

#: Rank of each part of the library; a part may import parts of a lower rank, and itself.
RANKS = {
    "__init__": 0,
    "errors": 0,
    "protocol": 1,
    "links": 2,
    "client": 3,
    "catalog": 4,
    "discovery": 4,
    "simulator": 5,
    "cli": 6,
    "__main__": 7,
}
#: What errors.py, shared by every layer, may itself import.
ERRORS_MAY_IMPORT = frozenset({f"{PACKAGE}.protocol.constants"})


@dataclass(frozen=True)
class Import:
    """One imported module, resolved to an absolute name, and where it is imported."""

    module: str
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join([PACKAGE, *parts]) if parts != ["__init__"] else PACKAGE


def imports_of(path: Path, source: str) -> list[Import]:
    """Every module ``source`` imports, relative imports resolved against ``path``."""
    tree = ast.parse(source, filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                assert node.module is not None
                base = node.module
            else:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                if node.module:
                    base = f"{base}.{node.module}"
            if node.module is None:  # from . import x: x may be a submodule
                found += [Import(f"{base}.{alias.name}", node.lineno) for alias in node.names]
            else:
                found.append(Import(base, node.lineno))
    return found


def part_of(module: str) -> str:
    """The library part ("protocol", "cli"...) of an absolute module name inside the package."""
    rest = module.removeprefix(PACKAGE).lstrip(".")
    return rest.split(".")[0] if rest else "__init__"


def violations(path: Path, source: str) -> list[str]:
    """What is wrong with the imports of one module (empty when it keeps the rules)."""
    here = part_of(module_name(path))
    problems: list[str] = []
    where = path.relative_to(ROOT)
    for imported in imports_of(path, source):
        top = imported.module.split(".")[0]
        at = f"{where}:{imported.line} imports {imported.module}"
        if imported.module == PACKAGE or imported.module.startswith(PACKAGE + "."):
            there = part_of(imported.module)
            if here == "errors":
                if imported.module not in ERRORS_MAY_IMPORT:
                    problems.append(f"{at}: errors.py may only import {set(ERRORS_MAY_IMPORT)}")
            elif there not in ("errors", here) and RANKS[there] >= RANKS[here]:
                problems.append(f"{at}: {here} (layer {RANKS[here]}) must not import {there}")
        elif top == "homeassistant":
            problems.append(f"{at}: Home Assistant")
        elif top == "custom_components":
            problems.append(f"{at}: outside the library")
        elif top not in sys.stdlib_module_names and top not in THIRD_PARTY:
            problems.append(f"{at}: not the standard library, the package or serialx")
    return problems


MODULES = sorted(ROOT.rglob("*.py"))


def test_every_module_is_checked() -> None:
    parts = {part_of(module_name(path)) for path in MODULES}
    assert parts == set(RANKS)  # a new part of the library needs a place in the layers
    assert len(MODULES) > 40


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layers(path: Path) -> None:
    assert violations(path, path.read_text(encoding="utf-8")) == []


def test_no_home_assistant_anywhere() -> None:
    """Not even by name: this also rules out importlib.import_module("homeassistant...")."""
    sources = {path: path.read_text(encoding="utf-8") for path in MODULES}
    assert not any("homeassistant" in source for source in sources.values())


@pytest.mark.parametrize(
    ("file", "source", "problem"),
    [
        ("client/scom.py", "from homeassistant.core import HomeAssistant", "Home Assistant"),
        ("client/scom.py", "import homeassistant", "Home Assistant"),
        ("links/tcp.py", "from ...const import DOMAIN", "outside the library"),
        ("protocol/frame.py", "import numpy", "not the standard library"),
        (
            "protocol/frame.py",
            "from ..links import Link",
            "protocol (layer 1) must not import links",
        ),
        ("client/api.py", "from ..catalog import load_catalog", "client (layer 3)"),
        ("catalog/model.py", "from ..discovery import scan", "catalog (layer 4)"),
        ("discovery.py", "from .simulator import Simulator", "discovery (layer 4)"),
        ("simulator/gateway.py", "from .. import cli", "simulator (layer 5)"),
        ("simulator/gateway.py", "from ..cli import main", "simulator (layer 5)"),
        ("links/url.py", "def f():\n    from ..client import ScomClient", "links (layer 2)"),
        ("errors.py", "from .protocol.frame import Frame", "errors.py may only import"),
        (
            "protocol/stream.py",
            "from custom_components.studer_innotec.xcom.client import ScomClient",
            "protocol (layer 1)",
        ),
    ],
)
def test_the_check_catches_violations(file: str, source: str, problem: str) -> None:
    found = violations(ROOT / file, source)
    assert len(found) == 1
    assert problem in found[0]


@pytest.mark.parametrize(
    ("file", "source"),
    [
        ("cli.py", "from .simulator import Simulator\nfrom .discovery import scan"),
        ("simulator/servers.py", "from ..links.base import Link\nfrom .session import feed"),
        ("client/scom.py", "from ..errors import XcomError\nimport asyncio"),
        ("links/serial.py", "import serialx"),
        ("protocol/__init__.py", "from . import frame"),
        ("__main__.py", "from .cli import run"),
    ],
)
def test_the_check_accepts_what_the_layers_allow(file: str, source: str) -> None:
    assert violations(ROOT / file, source) == []
