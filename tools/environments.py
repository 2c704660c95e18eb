"""What the Makefile's deploy targets run before Terraform does, so that a missing piece reads as one line with its
fix instead of Terraform's error blocks.

    python -m tools.environments init [--registry URL] [--credentials]   # make init; make plan|apply|destroy
    python -m tools.environments select dev                              # make outputs|channels|pause|resume|destroy

`init` checks, before Terraform starts, that Terraform can install the providers (its registry answers, or the
versions the lock file names are installed already for this machine) and, with --credentials, that boto3's
credential chain finds AWS credentials. It prints one line for each check that fails, with the fix, and stops
(exit 1). Otherwise it runs `terraform init`: from the registry, or, when the registry cannot be reached, offline
from the installed providers (`-plugin-dir`). An empty --registry skips the registry check (for a provider mirror
configured in Terraform's CLI configuration).

`select` selects an environment's workspace, or says that the environment was never applied (there is no
workspace for it, or its state has no outputs) and stops (exit 1).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

REGISTRY = "https://registry.terraform.io"
# Terraform's own discovery document: the first thing `terraform init` asks the registry for.
DISCOVERY_PATH = "/.well-known/terraform.json"
REGISTRY_TIMEOUT_SECONDS = 5
LOCK_FILE = ".terraform.lock.hcl"
_LOCKED_PROVIDER = re.compile(r'provider\s+"([^"]+)"\s*\{[^}]*?\bversion\s*=\s*"([^"]+)"', re.DOTALL)
# Go's names for this machine, as provider packages are laid out (<os>_<arch>).
_GO_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i386": "386", "i686": "386", "armv7l": "arm"}


def registry_problem(registry: str) -> str | None:
    """Why Terraform's registry cannot be reached, or None when it answers (or the check is skipped)."""
    if not registry:
        return None
    try:
        with urllib.request.urlopen(registry.rstrip("/") + DISCOVERY_PATH, timeout=REGISTRY_TIMEOUT_SECONDS) as reply:
            json.load(reply)
    except urllib.error.HTTPError as error:
        return f"it answered HTTP {error.code}"
    except urllib.error.URLError as error:
        return str(error.reason)
    except (OSError, ValueError) as error:  # a timeout, a reset, an answer that is no discovery document
        return str(error) or type(error).__name__
    return None


def go_platform() -> str:
    machine = platform.machine().lower()
    return f"{platform.system().lower()}_{_GO_ARCH.get(machine, machine)}"


def data_dir(workdir: Path) -> Path:
    """Where `terraform init` installs into: TF_DATA_DIR (relative to the working directory, as Terraform reads
    it after -chdir), or .terraform."""
    return workdir / os.environ.get("TF_DATA_DIR", ".terraform")


def providers_installed(workdir: Path) -> bool:
    """True when the lock file names providers and each is installed at its locked version for this machine:
    then `terraform init -plugin-dir` needs no registry."""
    lock = workdir / LOCK_FILE
    locked = _LOCKED_PROVIDER.findall(lock.read_text()) if lock.is_file() else []
    providers = data_dir(workdir) / "providers"
    return bool(locked) and all((providers / source / version / go_platform()).is_dir() for source, version in locked)


def credentials_problem() -> str | None:
    """Why boto3's credential chain finds no AWS credentials (in the environment, a profile, SSO, a container or
    an instance role), or None. It only looks: nothing is asked of AWS."""
    # Imported here: boto3 takes half a second to import, which `select` does not need.
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        found = boto3.Session().get_credentials()
    except BotoCoreError as error:  # e.g. AWS_PROFILE names a profile that does not exist
        return f"AWS credentials could not be loaded ({error}): fix the profile, or export AWS_PROFILE=<a profile in ~/.aws/config>"
    if found is None:
        return "no AWS credentials found (boto3's chain: environment, AWS_PROFILE and ~/.aws, SSO, container or instance role): run `aws configure` or `aws sso login --profile <name>`, then export AWS_PROFILE=<name>"
    return None


def init(terraform: str, workdir: Path, registry: str, credentials: bool) -> int:
    problems = []
    unreachable = registry_problem(registry)
    offline = unreachable is not None and providers_installed(workdir)
    if unreachable is not None and not offline:
        problems.append(
            f"Terraform's registry ({registry}) cannot be reached ({unreachable}) and the providers are not installed: "
            f"run `make init` once where it can be reached, or set TERRAFORM_REGISTRY= when a provider mirror is configured"
        )
    if credentials and (problem := credentials_problem()):
        problems.append(problem)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    command = [terraform, f"-chdir={workdir}", "init", "-input=false"]
    if offline:
        print(f"Terraform's registry cannot be reached ({unreachable}): using the providers installed in {data_dir(workdir)}")
        command.append(f"-plugin-dir={(data_dir(workdir) / 'providers').resolve()}")
    print(shlex.join(command), flush=True)
    return subprocess.run(command, check=False).returncode


def select(terraform: str, workdir: Path, environment: str) -> int:
    def terraform_run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([terraform, f"-chdir={workdir}", *arguments], capture_output=True, text=True, check=False)

    not_deployed = f"not deployed yet: make apply ENV={environment}"
    listed = terraform_run("workspace", "list")
    if listed.returncode != 0:
        print(listed.stderr.strip() or listed.stdout.strip(), file=sys.stderr)
        return 1
    # `terraform workspace list` marks the current workspace with "* ".
    if environment not in {line.strip().removeprefix("* ") for line in listed.stdout.splitlines()}:
        print(not_deployed, file=sys.stderr)
        return 1
    for step in (("workspace", "select", environment), ("output", "-json")):
        result = terraform_run(*step)
        if result.returncode != 0:
            print(result.stderr.strip() or result.stdout.strip(), file=sys.stderr)
            return 1
    # A workspace made by `make plan` that was never applied (or was destroyed) has a state without outputs.
    if not json.loads(result.stdout or "{}"):
        print(not_deployed, file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.environments", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--terraform", default="terraform", help="the terraform binary (default: terraform on PATH)")
    parser.add_argument("--chdir", type=Path, default=Path("terraform"), help="the root configuration (default: terraform)")
    commands = parser.add_subparsers(dest="command", required=True)
    init_command = commands.add_parser("init", help="check what terraform init needs, then run it")
    init_command.add_argument("--registry", default=REGISTRY, help=f"Terraform's registry (default: {REGISTRY}); empty skips the check")
    init_command.add_argument("--credentials", action="store_true", help="also check that AWS credentials are present")
    select_command = commands.add_parser("select", help="select an applied environment's workspace")
    select_command.add_argument("environment")
    options = parser.parse_args(argv)
    if options.command == "init":
        return init(options.terraform, options.chdir, options.registry, options.credentials)
    return select(options.terraform, options.chdir, options.environment)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
