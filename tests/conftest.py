"""Shared fixtures: a temporary project home, the CLI, and the demo warehouse."""

import shutil
from pathlib import Path

import pytest

from reference import load_catalog
from tests.helpers import TODAY, invoke
from warehouse.home import Home


@pytest.fixture
def catalog():
    return load_catalog()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty project home."""
    Home(tmp_path / "home").ensure()
    return tmp_path / "home"


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home where `chitieu demo` has run once (read it, never change it)."""
    root = tmp_path_factory.mktemp("demo") / "home"
    result = invoke(root, "demo", "--today", TODAY)
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def demo_copy(demo_home: Path, tmp_path: Path) -> Path:
    """A private copy of the demo home, to change freely."""
    target = tmp_path / "home"
    shutil.copytree(demo_home, target)
    return target
