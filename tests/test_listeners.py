"""Event-bus listeners run in the event loop, never in the executor.

Home Assistant runs a listener that is neither a coroutine nor marked ``@callback`` in its
thread pool, so two events can reach it in either order. A test that recorded state changes
with a plain lambda failed in CI once for exactly that reason; this check keeps it from coming
back in the integration, the tests, the benchmark or the end-to-end driver.
"""

from __future__ import annotations

import ast

import pytest

from .file_checks import REPO

LISTEN = {"async_listen", "async_listen_once"}
FOLDERS = ("custom_components", "tests", "bench", "e2e")


def _decorated_callback(node: ast.FunctionDef) -> bool:
    names = {
        d.id if isinstance(d, ast.Name) else getattr(d, "attr", "") for d in node.decorator_list
    }
    return "callback" in names


def unsafe_listeners(source: str) -> list[int]:
    """Lines of ``bus.async_listen`` calls whose listener would run in the executor."""
    tree = ast.parse(source)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.setdefault(node.name, node)
    lines = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in LISTEN
            and len(node.args) >= 2
        ):
            continue
        listener = node.args[1]
        if isinstance(listener, ast.Lambda):
            lines.append(node.lineno)
            continue
        name = listener.id if isinstance(listener, ast.Name) else getattr(listener, "attr", None)
        target = functions.get(name) if name else None
        if isinstance(target, ast.FunctionDef) and not _decorated_callback(target):
            lines.append(node.lineno)
    return lines


def test_the_check_catches_executor_listeners() -> None:
    source = (
        "from homeassistant.core import callback\n"
        "def plain(event): pass\n"
        "@callback\n"
        "def marked(event): pass\n"
        "async def coroutine(event): pass\n"
        "def setup(hass, seen):\n"
        "    hass.bus.async_listen('state_changed', lambda e: seen.append(e))\n"
        "    hass.bus.async_listen('state_changed', plain)\n"
        "    hass.bus.async_listen('state_changed', marked)\n"
        "    hass.bus.async_listen_once('state_changed', coroutine)\n"
    )
    assert unsafe_listeners(source) == [7, 8]


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_listener_runs_in_the_executor(folder: str) -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{line}"
        for path in sorted((REPO / folder).rglob("*.py"))
        for line in unsafe_listeners(path.read_text())
    ]
    assert offenders == []
