"""Shared fixtures: a temporary project home, the CLI, and the demo warehouse."""

import shutil
from pathlib import Path

import pytest

from reference import load_catalog
from tests.robustness import clean_rebuild_home
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
def demo_home() -> Path:
    """A home where one refresh loaded the bundled sample (read it, never change it).

    The one sample warehouse of the session: the robustness tests compare against the
    same home (tests/robustness.py, built once).
    """
    return clean_rebuild_home()


@pytest.fixture
def demo_copy(demo_home: Path, tmp_path: Path) -> Path:
    """A private copy of the demo home, to change freely."""
    target = tmp_path / "home"
    shutil.copytree(demo_home, target)
    return target


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (the order otherwise kept): started last, a few long ones
    would leave one worker finishing them alone while the other is idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
