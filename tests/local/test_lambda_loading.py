"""Loading a Lambda's module as Lambda does: its folder's other modules importable by their plain names, and
every load a new instance of them all."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from local.appsync.datasources import load_handler, load_lambda_module


@pytest.fixture
def lambda_folder(tmp_path: Path) -> Path:
    """A function's folder: its handler module and a shared module it imports by its plain name."""
    folder = tmp_path / "handlers" / "example"
    folder.mkdir(parents=True)
    (folder / "shared_state.py").write_text("instance = object()\nloaded_from = __file__\n")
    (folder / "function.py").write_text(
        "from shared_state import instance, loaded_from\n\ndef handler(event, context):\n    return {'instance': id(instance), 'from': loaded_from}\n"
    )
    return tmp_path


def test_a_module_imports_its_folders_modules_by_their_plain_names(lambda_folder: Path) -> None:
    # WHEN a function's handler is loaded from its folder
    handler = load_handler(lambda_folder, "handlers/example", "function.handler")
    # THEN the module it imports is the folder's own
    assert handler({}, None)["from"] == str(lambda_folder / "handlers" / "example" / "shared_state.py")


def test_each_load_is_a_new_instance_with_its_own_shared_modules(lambda_folder: Path) -> None:
    # GIVEN two loads of the same function, as two Lambda instances
    first = load_lambda_module(lambda_folder, "handlers/example", "function")
    second = load_lambda_module(lambda_folder, "handlers/example", "function")
    # THEN each ran the shared module's set-up afresh
    assert first.instance is not second.instance


def test_a_load_leaves_no_folder_module_behind_and_shadows_none_for_good(lambda_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a module of the same plain name already imported from elsewhere
    elsewhere = types.ModuleType("shared_state")
    monkeypatch.setitem(sys.modules, "shared_state", elsewhere)
    path_before = list(sys.path)
    # WHEN a function of the folder is loaded
    module = load_lambda_module(lambda_folder, "handlers/example", "function")
    # THEN the function has its folder's module, and the process keeps its own and its sys.path
    assert module.loaded_from.endswith("handlers/example/shared_state.py")
    assert sys.modules["shared_state"] is elsewhere
    assert sys.path == path_before
