"""What hassfest and the HACS action check on an integration's files, reproduced here.

Neither tool can run here (hassfest needs Docker, the HACS action needs GitHub), so the rules they
apply to a custom integration are restated from their documentation and schemas. Each check returns
a list of human-readable problems instead of asserting, so tests can also prove that a broken file
is caught.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
import re
from typing import Any
from urllib.parse import urlparse

from awesomeversion import AwesomeVersion, AwesomeVersionException, AwesomeVersionStrategy
import homeassistant

REPO = Path(__file__).resolve().parent.parent
INTEGRATION = REPO / "custom_components" / "studer_innotec"

MANIFEST_KEYS: dict[str, type | tuple[type, ...]] = {
    "domain": str,
    "name": str,
    "after_dependencies": list,
    "bluetooth": list,
    "codeowners": list,
    "config_flow": bool,
    "dependencies": list,
    "dhcp": list,
    "documentation": str,
    "homekit": dict,
    "import_executor": bool,
    "integration_type": str,
    "iot_class": str,
    "issue_tracker": str,
    "loggers": list,
    "mqtt": list,
    "requirements": list,
    "single_config_entry": bool,
    "ssdp": list,
    "usb": list,
    "version": str,
    "zeroconf": list,
}
REQUIRED_BY_HACS = ("codeowners", "documentation", "domain", "issue_tracker", "name", "version")
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
    "virtual",
}
HACS_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "content_in_root": bool,
    "zip_release": bool,
    "filename": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "hacs": str,
    "country": (str, list),
    "persistent_directory": str,
    "render_readme": bool,
}


def constrained_packages() -> set[str]:
    """Names of the packages Home Assistant pins in its package_constraints.txt."""
    text = (Path(homeassistant.__file__).parent / "package_constraints.txt").read_text()
    names = set()
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*[=<>!~]", line.strip())
        if match:
            names.add(canonical(match.group(1).split("[")[0]))
    return names


def canonical(name: str) -> str:
    """PEP 503 normalised package name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _version_ok(value: str) -> bool:
    try:
        AwesomeVersion(
            value,
            ensure_strategy=[
                AwesomeVersionStrategy.CALVER,
                AwesomeVersionStrategy.SEMVER,
                AwesomeVersionStrategy.SIMPLEVER,
                AwesomeVersionStrategy.BUILDVER,
                AwesomeVersionStrategy.PEP440,
            ],
        )
    except AwesomeVersionException:
        return False
    return True


def check_manifest(
    manifest: Mapping[str, Any], folder_name: str, integration_dir: Path | None = None
) -> list[str]:
    """Hassfest's manifest rules for a custom integration, plus the fields HACS requires."""
    problems: list[str] = []
    keys = list(manifest)
    expected_order = ["domain", "name", *sorted(k for k in keys if k not in ("domain", "name"))]
    if keys != expected_order:
        problems.append(f"keys must be domain, name, then alphabetical: {expected_order}")
    for key, value in manifest.items():
        if key not in MANIFEST_KEYS:
            problems.append(f"unknown manifest key {key!r}")
        elif not isinstance(value, MANIFEST_KEYS[key]):
            problems.append(f"{key!r} has the wrong type")
    problems.extend(f"HACS requires {key!r}" for key in REQUIRED_BY_HACS if key not in manifest)
    if manifest.get("domain") != folder_name:
        problems.append(f"domain {manifest.get('domain')!r} differs from folder {folder_name!r}")
    if manifest.get("iot_class") not in IOT_CLASSES:
        problems.append(f"iot_class {manifest.get('iot_class')!r} is not valid")
    if "integration_type" in manifest and manifest["integration_type"] not in INTEGRATION_TYPES:
        problems.append(f"integration_type {manifest['integration_type']!r} is not valid")
    if isinstance(manifest.get("version"), str) and not _version_ok(manifest["version"]):
        problems.append(f"version {manifest['version']!r} is not a valid version")
    for key in ("documentation", "issue_tracker"):
        url = urlparse(str(manifest.get(key, "")))
        if key in manifest and (url.scheme != "https" or not url.netloc):
            problems.append(f"{key!r} must be an https URL")
    problems.extend(
        f"codeowner {owner!r} must start with @"
        for owner in manifest.get("codeowners", [])
        if not str(owner).startswith("@")
    )
    constrained = constrained_packages()
    for requirement in manifest.get("requirements", []):
        name = canonical(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0])
        if "==" in requirement and name in constrained:
            problems.append(
                f"requirement {requirement!r} pins a package Home Assistant constrains: use a range"
            )
    if (
        integration_dir is not None
        and manifest.get("config_flow")
        and not (integration_dir / "config_flow.py").is_file()
    ):
        problems.append("config_flow is true but config_flow.py is missing")
    return problems


def check_hacs(hacs: Mapping[str, Any]) -> list[str]:
    """The HACS action's hacs.json schema: only known keys, a name, and a valid minimum version."""
    problems: list[str] = []
    for key, value in hacs.items():
        if key not in HACS_KEYS:
            problems.append(f"unknown hacs.json key {key!r}")
        elif not isinstance(value, HACS_KEYS[key]):
            problems.append(f"hacs.json {key!r} has the wrong type")
    if not hacs.get("name"):
        problems.append("hacs.json needs a name")
    minimum = hacs.get("homeassistant")
    if minimum is not None and not re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", str(minimum)):
        problems.append(f"homeassistant {minimum!r} is not a Home Assistant release")
    return problems
