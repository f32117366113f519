"""The repository's files pass hassfest's and HACS's rules, and a broken file is caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .file_checks import INTEGRATION, REPO, check_hacs, check_manifest, constrained_packages


def load(path: Path) -> dict[str, object]:
    return json.loads(path.read_text(), object_pairs_hook=dict)


@pytest.fixture
def manifest() -> dict[str, object]:
    return load(INTEGRATION / "manifest.json")


@pytest.fixture
def hacs() -> dict[str, object]:
    return load(REPO / "hacs.json")


def test_manifest_passes(manifest: dict[str, object]) -> None:
    assert check_manifest(manifest, INTEGRATION.name, INTEGRATION) == []


def test_manifest_has_the_agreed_fields(manifest: dict[str, object]) -> None:
    assert manifest["domain"] == "studer_innotec" == INTEGRATION.name
    assert manifest["name"] == "Studer-Innotec Xcom"
    assert manifest["iot_class"] == "local_polling"
    assert manifest["integration_type"] == "hub"
    assert manifest["dependencies"] == ["usb"]
    assert manifest["requirements"] == ["serialx>=1.11"]
    assert manifest["loggers"] == ["serialx"]


def test_hacs_passes(hacs: dict[str, object]) -> None:
    assert check_hacs(hacs) == []
    assert hacs["homeassistant"] == "2026.8.0"


def test_wrong_key_order_is_caught(manifest: dict[str, object]) -> None:
    broken = {"name": manifest["name"], **{k: v for k, v in manifest.items() if k != "name"}}
    problems = check_manifest(broken, INTEGRATION.name)
    assert any("alphabetical" in p for p in problems), problems


def test_unsorted_tail_is_caught(manifest: dict[str, object]) -> None:
    items = list(manifest.items())
    broken = dict(items[:2] + list(reversed(items[2:])))
    assert any("alphabetical" in p for p in check_manifest(broken, INTEGRATION.name))


def test_unknown_hacs_key_is_caught(hacs: dict[str, object]) -> None:
    problems = check_hacs({**hacs, "domains": ["sensor"]})
    assert problems == ["unknown hacs.json key 'domains'"]


def test_bad_hacs_minimum_version_is_caught(hacs: dict[str, object]) -> None:
    assert check_hacs({**hacs, "homeassistant": "latest"})


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"domain": "studer"}, "differs from folder"),
        ({"iot_class": "polling"}, "iot_class"),
        ({"integration_type": "bridge"}, "integration_type"),
        ({"version": "not a version"}, "valid version"),
        ({"documentation": "http://example.com"}, "https"),
        ({"codeowners": ["studer"]}, "start with @"),
        ({"requirements": ["serialx==1.11.0"]}, "constrains"),
        ({"zzz_unknown": 1}, "unknown manifest key"),
    ],
)
def test_each_manifest_rule_can_fail(
    manifest: dict[str, object], change: dict[str, object], fragment: str
) -> None:
    broken = dict(manifest)
    broken.update(change)
    head = {k: broken.pop(k) for k in ("domain", "name")}
    ordered = {**head, **dict(sorted(broken.items()))}
    problems = check_manifest(ordered, INTEGRATION.name)
    assert any(fragment in p for p in problems), problems


def test_missing_hacs_required_field_is_caught(manifest: dict[str, object]) -> None:
    broken = {k: v for k, v in manifest.items() if k != "version"}
    assert "HACS requires 'version'" in check_manifest(broken, INTEGRATION.name)


def test_config_flow_needs_its_module(manifest: dict[str, object], tmp_path: Path) -> None:
    broken = dict(manifest)
    broken["config_flow"] = True
    ordered = {
        "domain": broken.pop("domain"),
        "name": broken.pop("name"),
        **dict(sorted(broken.items())),
    }
    assert any("config_flow.py" in p for p in check_manifest(ordered, INTEGRATION.name, tmp_path))


def test_constraints_are_read() -> None:
    # serialx is pinned by Home Assistant 2026.10: a manifest must not pin it with ==.
    assert "serialx" in constrained_packages()


def test_domain_constant_matches_manifest(manifest: dict[str, object]) -> None:
    from custom_components.studer_innotec.const import DOMAIN

    assert manifest["domain"] == DOMAIN
