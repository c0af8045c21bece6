"""Packaging: the names, metadata and dependency ranges users resolve from the index.

On the package index ``livelike`` is an unrelated project; the core distribution is
``livelike-sdk`` and nothing here may depend on the bare name.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import livelike
from tests.conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PLUGINS = ["plugins/livelike-keyring", "plugins/livelike-sql"]
DISTRIBUTIONS = [".", *PLUGINS, "examples/livelike-plugin-example"]
UNCAPPED = {"requests", "platformdirs", "filelock", "pluggy", "keyring", "attrs"}


def project(folder: str) -> dict[str, Any]:
    with (ROOT / folder / "pyproject.toml").open("rb") as file:
        data: dict[str, Any] = tomllib.load(file)["project"]
    return data


def requirements(folder: str) -> list[Requirement]:
    """Every requirement a user can install: dependencies and every extra's."""
    data = project(folder)
    found = [Requirement(text) for text in data.get("dependencies", [])]
    for extra in data.get("optional-dependencies", {}).values():
        found += [Requirement(text) for text in extra]
    return found


@pytest.mark.parametrize("folder", DISTRIBUTIONS)
def test_no_distribution_depends_on_the_unrelated_livelike_project(folder: str) -> None:
    names = {canonicalize_name(req.name) for req in requirements(folder)}
    assert "livelike" not in names


@pytest.mark.parametrize("folder", DISTRIBUTIONS)
def test_metadata_lives_in_pyproject_only(folder: str) -> None:
    assert not (ROOT / folder / "setup.cfg").exists()
    data = project(folder)
    assert data["license"] == "MIT"
    assert data["license-files"] == ["LICENSE"]
    assert data["requires-python"] == ">=3.10"
    assert (ROOT / folder / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()


def test_core_is_livelike_sdk_with_its_pytest_plugins_and_extras() -> None:
    data = project(".")
    assert data["name"] == "livelike-sdk"
    for classifier in ("Framework :: Pytest", "Typing :: Typed"):
        assert classifier in data["classifiers"]
    assert set(data["optional-dependencies"]) == {"keyring", "sql"}
    assert data["entry-points"]["pytest11"] == {"livelike": "_livelike_pytestplugin"}
    assert all(url.startswith("https://") for url in data["urls"].values())


@pytest.mark.parametrize("folder", DISTRIBUTIONS)
def test_every_livelike_range_holds_this_version_and_stops_before_the_next_minor(
    folder: str,
) -> None:
    version = Version(livelike.__version__)
    next_minor = Version(f"{version.major}.{version.minor + 1}")
    ours = [
        req
        for req in requirements(folder)
        if canonicalize_name(req.name).startswith("livelike-")
        and canonicalize_name(req.name) != canonicalize_name(project(folder)["name"])
    ]
    assert ours or folder == "."
    for req in ours:
        assert req.specifier.contains(version), req
        assert not req.specifier.contains(next_minor), req


@pytest.mark.parametrize("folder", DISTRIBUTIONS)
def test_no_upper_caps_on_the_common_libraries(folder: str) -> None:
    for req in requirements(folder):
        if canonicalize_name(req.name) in UNCAPPED:
            assert all(spec.operator in (">=", "!=") for spec in req.specifier), req


def test_development_tools_are_a_dependency_group_not_an_extra() -> None:
    with (ROOT / "pyproject.toml").open("rb") as file:
        groups = tomllib.load(file)["dependency-groups"]
    dev = {canonicalize_name(Requirement(text).name) for text in groups["dev"]}
    assert {"pytest", "mypy", "ruff", "types-requests"} <= dev
    extras = {
        canonicalize_name(req.name)
        for extra in project(".")["optional-dependencies"].values()
        for req in map(Requirement, extra)
    }
    assert not extras & dev


def test_installed_metadata_names_livelike_sdk_and_its_console_script() -> None:
    meta = metadata.metadata("livelike-sdk")
    assert meta["Version"] == livelike.__version__
    assert meta["License-Expression"] == "MIT"
    scripts = metadata.entry_points(group="console_scripts")
    assert any(ep.name == "livelike" and ep.value == "livelike.cli:main" for ep in scripts)


def test_sdist_manifest_ships_what_the_tests_and_docs_need() -> None:
    manifest = (ROOT / "MANIFEST.in").read_text()
    for line in ("graft tests", "graft docs", "graft examples", "include LICENSE"):
        assert line in manifest
    assert "CHANGELOG.md" in manifest
    for folder in PLUGINS:
        assert "graft tests" in Path(ROOT / folder / "MANIFEST.in").read_text()
