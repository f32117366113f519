"""Hassfest's translation, icon and service checks, reproduced for this integration.

Custom integrations ship full text in translations/<lang>.json (no [%key:...%] references).
Every translation key the code uses must exist in every language, every form field needs a label
and a description, services.yaml, the translations and icons.json must describe the same
actions, and the curated entities' translation keys must all be translated.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
from typing import Any

import pytest
import yaml

from custom_components.studer_innotec.mapping import platform_of
from custom_components.studer_innotec.xcom.catalog import load_catalog
from custom_components.studer_innotec.xcom.catalog.semantics import DEFAULT_ENABLED, key

from .file_checks import INTEGRATION

LANGUAGES = ("en", "de", "fr")
SOURCES = sorted(p for p in INTEGRATION.glob("*.py"))


def load(lang: str) -> dict[str, Any]:
    return json.loads((INTEGRATION / "translations" / f"{lang}.json").read_text())


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(data, dict):
        return {prefix: data}
    out: dict[str, Any] = {}
    for k, v in data.items():
        out.update(flatten(v, f"{prefix}.{k}" if prefix else k))
    return out


def string_keywords(name: str) -> set[str]:
    """Every string literal passed as keyword ``name`` anywhere in the integration."""
    found: set[str] = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.keyword)
                and node.arg == name
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found.add(node.value.value)
    return found


def test_every_language_has_the_same_keys() -> None:
    english = set(flatten(load("en")))
    for lang in LANGUAGES[1:]:
        assert set(flatten(load(lang))) == english, lang


def test_no_references_and_no_empty_text() -> None:
    for lang in LANGUAGES:
        for path, text in flatten(load(lang)).items():
            assert isinstance(text, str), path
            assert text.strip(), f"{lang}: {path} is empty"
            assert "[%key:" not in text, f"{lang}: {path} uses a reference"


def test_placeholders_agree_between_languages() -> None:
    pattern = re.compile(r"\{(\w+)\}")
    english = flatten(load("en"))
    for lang in LANGUAGES[1:]:
        for path, text in flatten(load(lang)).items():
            assert set(pattern.findall(text)) == set(pattern.findall(english[path])), (lang, path)


def test_every_form_field_has_label_and_description() -> None:
    for lang in LANGUAGES:
        data = load(lang)
        for section in ("config", "options"):
            for step_id, step in data[section]["step"].items():
                labels = step.get("data", {})
                descriptions = step.get("data_description", {})
                assert set(labels) == set(descriptions), (lang, section, step_id)


def test_exception_keys_exist() -> None:
    exceptions = set(load("en")["exceptions"])
    used = string_keywords("translation_key")
    entity_keys = {k for platform in load("en")["entity"].values() for k in platform}
    selector_keys = set(load("en")["selector"])
    missing = used - exceptions - entity_keys - selector_keys
    assert not missing, missing


def test_flow_errors_and_aborts_exist() -> None:
    config = load("en")["config"]
    source = (INTEGRATION / "config_flow.py").read_text()
    reasons = set(re.findall(r'ProbeError\("(\w+)"', source))
    reasons |= set(re.findall(r'reason != "(\w+)"', source)) | {"moxa_not_connected"}
    assert reasons <= set(config["error"]), reasons - set(config["error"])
    aborts = set(re.findall(r'reason="(\w+)"', source)) | {"already_configured"}
    assert aborts <= set(config["abort"]), aborts - set(config["abort"])
    forms = set(re.findall(r'async_show_form\(\s*step_id="(\w+)"', source))
    forms |= {"reconfigure", "serial", "xcom_lan", "tcp", "udp"}  # _show_link_form's step ids
    options = set(load("en")["options"]["step"])
    assert forms <= set(config["step"]) | options, forms - set(config["step"]) - options
    progress = set(re.findall(r'progress_action="(\w+)"', source))
    assert progress
    assert progress <= set(config["progress"]), progress


def test_curated_entities_are_translated_on_their_platform() -> None:
    catalog = load_catalog()
    entity = load("en")["entity"]
    for family, kind, number in DEFAULT_ENABLED:
        dp = catalog.info(family, number) if kind.value == "info" else catalog.param(family, number)
        platform = platform_of(dp)
        assert platform is not None
        assert key(dp) in entity.get(platform.value, {}), (key(dp), platform)


def test_services_translations_and_icons_agree() -> None:
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
    icons = json.loads((INTEGRATION / "icons.json").read_text())
    assert set(icons["services"]) == set(services)
    for lang in LANGUAGES:
        translated = load(lang)["services"]
        assert set(translated) == set(services), lang
        for name, service in services.items():
            assert set(translated[name]["fields"]) == set(service["fields"]), (lang, name)
            assert translated[name]["name"]
            assert translated[name]["description"]


def test_icon_keys_match_translated_entities() -> None:
    icons = json.loads((INTEGRATION / "icons.json").read_text())["entity"]
    entity = load("en")["entity"]
    for platform, keys in icons.items():
        assert set(keys) <= set(entity.get(platform, {})), platform


def test_brand_icon() -> None:
    raw = (INTEGRATION / "brand" / "icon.png").read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(raw[16:20], "big")
    height = int.from_bytes(raw[20:24], "big")
    assert (width, height) == (256, 256)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_selector_options_are_translated(lang: str) -> None:
    selectors = load(lang)["selector"]
    source = (INTEGRATION / "config_flow.py").read_text()
    for name in set(re.findall(r"_select\(\s*\[[^]]*\],\s*(CONF_\w+)", source)):
        key_name = name.removeprefix("CONF_").lower()
        assert key_name in selectors, (lang, key_name)


def test_strings_are_not_in_the_wrong_file() -> None:
    # Custom integrations have no strings.json: that is a core build step.
    assert not (INTEGRATION / "strings.json").exists()
    assert Path(INTEGRATION / "translations" / "en.json").exists()
