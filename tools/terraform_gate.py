"""`make terraform-test`: Terraform's own checks of every configuration, with Terraform's own output.

    python -m tools.terraform_gate            # everything below
    python -m tools.terraform_gate --only modules/kms_key

1. `terraform fmt -check` over terraform/, modules/ and envs/ (with the tests' .tftest.hcl files);
2. `terraform validate` and `terraform test` in every module and in the root stack (each of its test files but
   environments.tftest.hcl on its own);
3. a plan of the root stack for every envs/<env>.tfvars, in the workspace of that name
   (terraform/tests/environments.tftest.hcl).

Offline (no registry reachable, as here and in CI) the providers are the schema-only plugin of
tools/tfprovider; online, `terraform init -backend=false` installs the real ones. Without a Terraform >= 1.7
on PATH it says so and stops without failing: the rest of `make test` still runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tools.tfprovider.runner import (
    MIN_TERRAFORM,
    find_terraform,
    registry_reachable,
    run,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
ROOT = "terraform"
# The throw-away deployment the live tests apply (tests/terraform/live): it must stay valid too.
LIVE = "tests/terraform/live/messenger"
MODULES = sorted(str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "modules").iterdir() if (path / "main.tf").is_file())
PARALLEL = 2
ENVIRONMENTS = sorted(path.stem for path in (REPO_ROOT / "envs").glob("*.tfvars"))
ROOT_TESTS = sorted(f"tests/{path.name}" for path in (REPO_ROOT / ROOT / "tests").glob("*.tftest.hcl") if path.name != "environments.tftest.hcl")


@dataclass(frozen=True)
class Check:
    name: str
    directory: str
    args: list[str]
    env: dict[str, str] | None = None


def checks(only: str | None) -> list[Check]:
    found = []
    for directory in [*MODULES, ROOT]:
        if only and directory != only:
            continue
        found.append(Check(f"validate {directory}", directory, ["validate", "-no-color"]))
        if directory == ROOT:
            # One check per test file of the root (they run side by side); environments.tftest.hcl below.
            for test in ROOT_TESTS:
                found.append(Check(f"test {directory} ({test})", directory, ["test", "-no-color", f"-filter={test}"]))
        else:
            found.append(Check(f"test {directory}", directory, ["test", "-no-color"]))
    if only in (None, LIVE):
        found.append(Check(f"validate {LIVE}", LIVE, ["validate", "-no-color"]))
    if only in (None, ROOT):
        for env in ENVIRONMENTS:
            found.append(
                Check(
                    f"plan {env} (envs/{env}.tfvars, workspace {env})",
                    ROOT,
                    ["test", "-no-color", "-filter=tests/environments.tftest.hcl", f"-var-file=../envs/{env}.tfvars"],
                    {"TF_WORKSPACE": env},
                )
            )
    return found


def expected_cost(check: Check) -> tuple[int, int]:
    """A rank by how long a check runs: the root's test files (the larger, the longer), the environments' plans
    (one plan of the whole stack each), the modules' tests, then the validates (no plan)."""
    if check.directory == ROOT and check.args[0] == "test":
        test_file = next((arg.removeprefix("-filter=") for arg in check.args if arg.startswith("-filter=")), "")
        if test_file != "tests/environments.tftest.hcl":
            return (3, (REPO_ROOT / ROOT / test_file).stat().st_size)
        return (2, 0)
    return (1, 0) if check.args[0] == "test" else (0, 0)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.terraform_gate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="one directory: terraform or modules/<name>")
    options = parser.parse_args(argv)
    terraform = find_terraform()
    if terraform is None:
        print(f"terraform-test: SKIPPED: no terraform >= {'.'.join(map(str, MIN_TERRAFORM))} on PATH (set $TERRAFORM to use another)", flush=True)
        return 0
    online = registry_reachable()
    print(f"terraform-test: {terraform}, providers {'from the registry' if online else 'schema-only (tools/tfprovider), offline'}", flush=True)
    failed = []
    started = time.monotonic()
    fmt = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", "-no-color", "terraform", "modules", "envs"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False, env={**os.environ, "CHECKPOINT_DISABLE": "1"},
    )
    print(f"== fmt -check: {'ok' if fmt.returncode == 0 else 'FAILED (run make fmt)'}", flush=True)
    if fmt.returncode != 0:
        print(fmt.stdout + fmt.stderr, flush=True)
        failed.append("fmt")
    # Two at a time (each is a terraform process and its provider plugins), longest first, so that no long check
    # starts last and runs alone; reported in list order.
    listed = checks(options.only)
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        futures = {id(check): pool.submit(_timed_run, check, online) for check in sorted(listed, key=expected_cost, reverse=True)}
        for check, future in [(check, futures[id(check)]) for check in listed]:
            result, seconds = future.result()
            output = (result.stdout + result.stderr).strip()
            verdict = "ok" if result.returncode == 0 else "FAILED"
            print(f"== {check.name}: {verdict} ({seconds:.1f} s)", flush=True)
            print("\n".join(line for line in output.splitlines() if line.strip()), flush=True)
            if result.returncode != 0:
                failed.append(check.name)
    print(f"terraform-test: {'all passed' if not failed else 'FAILED: ' + '; '.join(failed)} in {time.monotonic() - started:.0f} s", flush=True)
    return 1 if failed else 0


def _timed_run(check: Check, online: bool) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    result = run(REPO_ROOT / check.directory, check.args, online=online, capture=True, env=check.env)
    return result, time.monotonic() - began


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
