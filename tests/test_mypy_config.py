"""The mypy configuration (pyproject.toml) checks the Lambda handlers as `mypy --strict handlers` would, in the one
run `make lint-python` makes over the whole project.

- Every module under handlers/, named as mypy names it (a folder on mypy_path names its modules plainly), gets each
  option `--strict` changes, read from the installed mypy, so an upgrade that adds a flag fails here.
- Every inline-typed package a handler imports is seen as `--strict` sees it: a name it imports is not exported
  unless it says so, and its untyped functions' bodies are inferred.
- Every moto module the project imports is followed: only the services it does not use are left unread.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mypy.build import BuildSource, default_data_dir
from mypy.fscache import FileSystemCache
from mypy.main import process_options
from mypy.modulefinder import FindModuleCache, compute_search_paths
from mypy.options import PER_MODULE_OPTIONS, Options

from tests.conftest import REPO_ROOT

# What --strict changes in a package a handler imports that changes what the handler sees.
IMPORTED_STRICT_OPTIONS = {"implicit_reexport": False, "check_untyped_defs": True}


@pytest.fixture(scope="module")
def project() -> Iterator[tuple[list[BuildSource], Options]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO_ROOT)
        yield process_options(["--config-file", "pyproject.toml"])


@pytest.fixture(scope="module")
def handler_sources(project: tuple[list[BuildSource], Options]) -> list[BuildSource]:
    sources, _ = project
    return [source for source in sources if source.path and Path(source.path).parts[0] == "handlers"]


def strict_changes() -> dict[str, object]:
    """The options `--strict` changes from mypy's defaults, with the values it sets."""
    _, plain = process_options(["--config-file=", "-c", "pass"])
    _, strict = process_options(["--config-file=", "--strict", "-c", "pass"])
    before, after = plain.snapshot(), strict.snapshot()
    return {name: value for name, value in after.items() if before[name] != value}


def test_strict_changes_are_read_from_mypy() -> None:
    # GIVEN the installed mypy WHEN --strict is parsed THEN the flags it documents are among those it changes
    changes = strict_changes()
    assert {"disallow_untyped_defs": True, "warn_return_any": True, "implicit_reexport": False}.items() <= changes.items()


def test_every_handler_module_is_checked_strict(
    project: tuple[list[BuildSource], Options], handler_sources: list[BuildSource]
) -> None:
    # GIVEN the project's mypy configuration and the modules mypy finds under handlers/
    _, options = project
    handler_files = {path.relative_to(REPO_ROOT).as_posix() for path in (REPO_ROOT / "handlers").rglob("*.py")}
    assert {source.path for source in handler_sources} == handler_files
    # WHEN each module's options are resolved THEN each has every option --strict changes, as --strict sets it
    changes = strict_changes()
    for source in handler_sources:
        assert source.module is not None
        module_options = options.clone_for_module(source.module)
        for name, value in changes.items():
            effective = getattr(module_options if name in PER_MODULE_OPTIONS else options, name)
            assert effective == value, f"{source.module} ({source.path}): {name} is {effective!r}, --strict sets {value!r}"


def test_project_outside_handlers_keeps_its_own_options(project: tuple[list[BuildSource], Options]) -> None:
    # GIVEN the project's configuration WHEN a module outside handlers/ is resolved THEN it is not made strict
    _, options = project
    assert options.clone_for_module("local.stack").disallow_untyped_defs is False


def test_inline_typed_packages_the_handlers_import_are_seen_as_strict_sees_them(
    project: tuple[list[BuildSource], Options], handler_sources: list[BuildSource]
) -> None:
    # GIVEN every top-level package a handler imports that is neither the standard library nor a handler module
    sources, options = project
    own = {source.module.split(".")[0] for source in handler_sources if source.module}
    imported: set[str] = set()
    for source in handler_sources:
        assert source.path is not None
        for node in ast.walk(ast.parse(Path(REPO_ROOT / source.path).read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = sorted(imported - own - set(sys.stdlib_module_names) - {"__future__"})
    assert "aws_lambda_powertools" in third_party
    # WHEN mypy finds each one THEN a stub package needs nothing; an inline-typed one, and its modules, get what
    # --strict would set for them
    finder = FindModuleCache(compute_search_paths(sources, options, default_data_dir()), FileSystemCache(), options)
    inline_typed = []
    for package in third_party:
        found = finder.find_module(package)
        assert isinstance(found, str), f"mypy does not find {package}: {found}"
        if found.endswith(".pyi"):
            continue
        inline_typed.append(package)
        for module in (package, f"{package}.any_module"):
            module_options = options.clone_for_module(module)
            for name, value in IMPORTED_STRICT_OPTIONS.items():
                assert getattr(module_options, name) == value, f"{module}: {name} should be {value!r} as under --strict"
    assert "aws_lambda_powertools" in inline_typed


def imported_modules(path: Path, finder: FindModuleCache) -> set[str]:
    """Every absolute module name a file imports (`from a import b` counts a.b where b is a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            submodules = (f"{node.module}.{alias.name}" for alias in node.names)
            names.update(name for name in submodules if isinstance(finder.find_module(name), str))
    return names


def test_every_moto_module_the_project_imports_is_followed(project: tuple[list[BuildSource], Options]) -> None:
    # GIVEN every moto module named in an import of the project's code
    sources, options = project
    finder = FindModuleCache(compute_search_paths(sources, options, default_data_dir()), FileSystemCache(), options)
    imported = {name for source in sources if source.path for name in imported_modules(REPO_ROOT / source.path, finder)}
    moto_modules = sorted(name for name in imported if name.split(".")[0] == "moto")
    assert "moto.sqs.models" in moto_modules
    # WHEN each one's options are resolved THEN mypy follows it (and so checks the code's use of it)
    not_followed = [name for name in moto_modules if options.clone_for_module(name).follow_imports != "normal"]
    assert not_followed == [], f"add their packages to the moto modules mypy follows in pyproject.toml: {not_followed}"
