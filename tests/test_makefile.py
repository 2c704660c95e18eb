"""The Makefile's user-facing targets.

- `make help` lists every target a user runs, its descriptions aligned whatever the names' length.
- The deploy targets keep the API key out of logs: `make apply` prints no key and leaves no plan file (which holds
  every value, the key included), and ends with the smoke test; `make outputs SHOW_KEY=1` prints the key when asked,
  and the dashboard's URL always.
- Before Terraform starts, `make plan` says in one line each what is missing (the registry or installed
  providers, AWS credentials) and how to fix it; `make outputs|channels` say an environment was never applied.
- `make pause|resume|channels` select the environment's workspace, then hand the request to tools/channels.py
  (tested with botocore's Stubber in tests/test_channels.py).

Terraform is a fake here (a shell script, named by TERRAFORM or found on PATH) that answers as the real one does;
tools/environments.py, which the targets run first, has its own tests in tests/test_environments.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

KEY = "da2-this-is-the-secret-key"
# Nothing listens on port 9 (discard) of the loopback: the connection is refused at once, so the registry check
# fails fast and the tests need no network.
NO_REGISTRY = "http://127.0.0.1:9"

# Stands in for terraform after an apply of dev: answers outputs, and writes the plan file a real `plan -out` would.
FAKE_TERRAFORM = f"""#!/bin/sh
echo "$*" >> "$TERRAFORM_LOG"
case "$*" in
  *"workspace list"*) printf '  default\\n* dev\\n\\n' ;;
  *"output -json"*) echo '{{"graphql_url": {{"sensitive": false, "type": "string", "value": "https://example"}}}}' ;;
  *"output -raw api_key_expires"*) echo "2027-02-27T17:00:00Z" ;;
  *"output -raw api_key"*) echo "{KEY}" ;;
  *"output -raw graphql_url"*) echo "https://example.appsync-api.eu-central-1.amazonaws.com/graphql" ;;
  *"output -raw graphql_api_arn"*) echo "arn:aws:appsync:eu-central-1:123456789012:apis/example" ;;
  *"output -raw dashboard_url"*) echo "https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#dashboards/dashboard/dev-messenger" ;;
  *" plan "*) touch "$PLAN_FILE" ;;
esac
exit 0
"""

# Stands in for terraform where dev was never applied: the workspaces are the default one and those in WORKSPACES
# (make plan makes one), with states that have no outputs; selecting a missing one fails with the real one's words
# (Terraform 1.11, on stderr; colours left out).
NEVER_APPLIED_TERRAFORM = """#!/bin/sh
echo "$*" >> "$TERRAFORM_LOG"
case "$2 $3" in
  "workspace list") printf '* default\\n'; for name in $WORKSPACES; do printf '  %s\\n' "$name"; done; printf '\\n' ;;
  "workspace select")
    case " $WORKSPACES " in
      *" $4 "*) printf 'Switched to workspace "%s".\\n' "$4" ;;
      *) printf '\\nWorkspace "%s" doesn'"'"'t exist.\\n\\nYou can create this workspace with the "new" subcommand \\nor include the "-or-create" flag with the "select" subcommand.\\n' "$4" >&2
         exit 1 ;;
    esac ;;
  "output -json") echo '{}' ;;
  "output -raw") printf '\\nWarning: No outputs found\\n' >&2 ;;
esac
exit 0
"""


def script(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def fake_terraform(tmp_path: Path) -> Path:
    return script(tmp_path, "terraform", FAKE_TERRAFORM)


def no_aws_credentials(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine where boto3's credential chain finds nothing: no variables, no ~/.aws, no
    instance role (the metadata service is not even asked)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    return {**env, "HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true"}


# What a make that runs these tests (make test) tells its children: a target run here must behave as a user's
# top-level make, not as a sub-make (whose errors read "make[2]: ***" and whose variables it would pass down).
MAKE_CONTEXT = ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKE_TERMOUT", "MAKE_TERMERR")


def run_make(target: str, *variables: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    child_env = {name: value for name, value in (env or os.environ).items() if name not in MAKE_CONTEXT}
    # The virtualenv these tests run in is installed: its stamp is not remade (`-o`), even when pyproject.toml was
    # edited since, or a uv sync would print before what a test reads.
    command = ["make", "--no-print-directory", "-o", ".venv/.synced", target, *variables]
    return subprocess.run(command, cwd=REPO_ROOT, env=child_env, capture_output=True, text=True, check=False)


def make(target: str, terraform: Path, *variables: str) -> str:
    """A deploy target with the fake terraform, AWS credentials in the environment, and the registry check off."""
    env = {
        **os.environ,
        "PLAN_FILE": str(terraform.parent / "dev.tfplan"),
        "TERRAFORM_LOG": str(terraform.parent / "terraform.log"),
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "example-secret",
    }
    result = run_make(target, "ENV=dev", f"TERRAFORM={terraform}", "TERRAFORM_REGISTRY=", *variables, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# --- make help ----------------------------------------------------------------------------------------------


def make_database(*extra: str) -> str:
    return subprocess.run(["make", "-pRrq", "-f", "Makefile", *extra], cwd=REPO_ROOT, capture_output=True, text=True, check=False).stdout


def variable(database: str, name: str) -> list[str]:
    [value] = re.findall(rf"^{name} :?= (.*)$", database, re.MULTILINE)
    return value.split()


def listed(output: str) -> dict[str, int]:
    """Each target `make help` lists, and the column its description starts at."""
    rows = [re.fullmatch(r"  make (\S+)( +)\S.*", line) for line in output.splitlines()]
    assert all(rows), output
    return {row[1]: row.end(2) for row in rows if row}


def test_help_lists_every_phony_target_a_user_runs() -> None:
    database = make_database()
    internal = set(variable(database, "INTERNAL_TARGETS"))
    phony = {name for line in re.findall(r"^\.PHONY: (.*)$", database, re.MULTILINE) for name in line.split()}
    assert internal and internal <= phony
    assert set(listed(run_make("help").stdout)) == phony - internal


def test_help_aligns_the_descriptions_whatever_the_names_length(tmp_path: Path) -> None:
    # GIVEN a target whose name is longer than any in the Makefile, from a second makefile
    extra = tmp_path / "extra.mk"
    extra.write_text("a-target-with-a-rather-long-name-indeed: ## a long one\n")
    # WHEN make help lists them all
    columns = listed(subprocess.run(["make", "--no-print-directory", "-f", "Makefile", "-f", str(extra), "help"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout)
    # THEN every description starts in one column, two spaces after the longest name
    assert "a-target-with-a-rather-long-name-indeed" in columns and "terraform-test" in columns
    assert set(columns.values()) == {len("  make ") + len("a-target-with-a-rather-long-name-indeed") + 2}
    # AND without it, the Makefile's own longest name sets the column
    assert set(listed(run_make("help").stdout).values()) == {len("  make ") + len("terraform-test") + 2}


# --- make plan: what is missing, before Terraform starts --------------------------------------------------------


REGISTRY_LINE = re.compile(r"^Terraform's registry \(http://127\.0\.0\.1:9\) cannot be reached \(.+\) and the providers are not installed: run `make init` once where it can be reached, or set TERRAFORM_REGISTRY= when a provider mirror is configured$")
CREDENTIALS_LINE = re.compile(r"^no AWS credentials found \(boto3's chain: .*\): run `aws configure` or `aws sso login --profile <name>`, then export AWS_PROFILE=<name>$")


def test_plan_without_registry_or_credentials_says_both_in_a_line_each_and_never_starts_terraform(fake_terraform: Path, tmp_path: Path) -> None:
    # GIVEN no registry, no providers installed (an empty data directory) and no AWS credentials
    env = {**no_aws_credentials(tmp_path), "TERRAFORM_LOG": str(tmp_path / "terraform.log"), "TF_DATA_DIR": str(tmp_path / "tf-data")}
    # WHEN a plan is asked for
    result = run_make("plan", "ENV=dev", f"TERRAFORM={fake_terraform}", f"TERRAFORM_REGISTRY={NO_REGISTRY}", env=env)
    # THEN it stops with one line for each, saying how to fix it, and nothing of Terraform's
    assert result.returncode != 0
    problems = [line for line in result.stderr.splitlines() if not line.startswith("make: ***")]
    assert len(problems) == 2, result.stderr
    assert REGISTRY_LINE.match(problems[0]) and CREDENTIALS_LINE.match(problems[1]), problems
    assert result.stdout == ""
    assert not (tmp_path / "terraform.log").exists(), "terraform must not start"


def test_plan_with_credentials_but_no_registry_says_only_that(fake_terraform: Path, tmp_path: Path) -> None:
    env = {**no_aws_credentials(tmp_path), "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example-secret", "TERRAFORM_LOG": str(tmp_path / "terraform.log"), "TF_DATA_DIR": str(tmp_path / "tf-data")}
    result = run_make("plan", "ENV=dev", f"TERRAFORM={fake_terraform}", f"TERRAFORM_REGISTRY={NO_REGISTRY}", env=env)
    problems = [line for line in result.stderr.splitlines() if not line.startswith("make: ***")]
    assert result.returncode != 0 and len(problems) == 1 and REGISTRY_LINE.match(problems[0]), result.stderr
    assert not (tmp_path / "terraform.log").exists()


def test_plan_with_the_registry_check_off_and_no_credentials_says_only_that(fake_terraform: Path, tmp_path: Path) -> None:
    env = {**no_aws_credentials(tmp_path), "TERRAFORM_LOG": str(tmp_path / "terraform.log")}
    result = run_make("plan", "ENV=dev", f"TERRAFORM={fake_terraform}", "TERRAFORM_REGISTRY=", env=env)
    problems = [line for line in result.stderr.splitlines() if not line.startswith("make: ***")]
    assert result.returncode != 0 and len(problems) == 1 and CREDENTIALS_LINE.match(problems[0]), result.stderr
    assert not (tmp_path / "terraform.log").exists()


def test_plan_runs_init_then_selects_or_creates_the_workspace(fake_terraform: Path) -> None:
    make("plan", fake_terraform)
    plan_file = fake_terraform.parent / "dev.tfplan"
    assert plan_file.exists()
    calls = (fake_terraform.parent / "terraform.log").read_text().splitlines()
    assert calls == ["-chdir=terraform init -input=false", "-chdir=terraform workspace select -or-create dev", f"-chdir=terraform plan -input=false -var-file=../envs/dev.tfvars -out={plan_file}"]


def test_the_plan_file_is_the_environments_beside_the_stack_unless_one_is_given() -> None:
    result = run_make("--just-print", "plan", "ENV=stage", env={name: value for name, value in os.environ.items() if name != "PLAN_FILE"})
    assert "-out=stage.tfplan" in result.stdout, result.stdout + result.stderr


# --- an environment never applied -----------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["outputs", "channels", "pause"])
def test_an_environment_never_applied_is_said_to_be_not_deployed_yet(tmp_path: Path, target: str) -> None:
    # GIVEN a terraform on PATH that has no workspace for dev, as the real one before the first apply
    script(tmp_path, "terraform", NEVER_APPLIED_TERRAFORM)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}", "TERRAFORM_LOG": str(tmp_path / "terraform.log")}
    # WHEN its outputs or its channels are asked for
    result = run_make(target, "ENV=dev", "CHANNEL=EMAIL", "REASON=drill", env=env)
    # THEN one line says so, and what to run
    assert result.returncode != 0
    assert [line for line in result.stderr.splitlines() if not line.startswith("make: ***")] == ["not deployed yet: make apply ENV=dev"]
    assert "doesn't exist" not in result.stdout + result.stderr and result.stdout == ""
    # AND nothing was selected, read or invoked
    assert (tmp_path / "terraform.log").read_text().splitlines() == ["-chdir=terraform workspace list"]


def test_a_workspace_that_was_planned_but_never_applied_is_not_deployed_yet(tmp_path: Path) -> None:
    # GIVEN dev's workspace (made by make plan) with a state that has no outputs
    script(tmp_path, "terraform", NEVER_APPLIED_TERRAFORM)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}", "TERRAFORM_LOG": str(tmp_path / "terraform.log"), "WORKSPACES": "dev"}
    result = run_make("outputs", "ENV=dev", env=env)
    assert result.returncode != 0 and "not deployed yet: make apply ENV=dev" in result.stderr and result.stdout == ""


# --- apply, outputs and the channel targets -----------------------------------------------------------------


# Stands in for the virtualenv's python when it runs the smoke test (tools/smoke.py, run against real local stacks in
# tests/smoke/): says so, with its arguments; anything else it hands to the real one.
SMOKE_STAND_IN = f"""#!/bin/sh
if [ "$2" = tools.smoke ]; then echo "smoke stand-in: $*"; exit 0; fi
exec "{REPO_ROOT / ".venv" / "bin" / "python"}" "$@"
"""


def test_apply_prints_the_url_but_not_the_key_removes_the_plan_file_then_runs_the_smoke(fake_terraform: Path, tmp_path: Path) -> None:
    output = make("apply", fake_terraform, f"PY={script(tmp_path, 'python', SMOKE_STAND_IN)}")
    assert "graphql_url = https://" in output and KEY not in output and "SHOW_KEY=1" in output
    assert not (fake_terraform.parent / "dev.tfplan").exists()
    assert output.splitlines()[-1] == f"smoke stand-in: -m tools.smoke --env dev --terraform {fake_terraform}"


def test_outputs_prints_the_key_only_when_asked(fake_terraform: Path) -> None:
    assert KEY not in make("outputs", fake_terraform)
    assert f"api_key     = {KEY}" in make("outputs", fake_terraform, "SHOW_KEY=1")


def test_outputs_prints_the_dashboard(fake_terraform: Path) -> None:
    assert "dashboard_url = https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#dashboards/dashboard/dev-messenger" in make("outputs", fake_terraform)


# Stands in for the virtualenv's python when it runs tools/channels.py (writes the arguments it was given, one a
# line); anything else it hands to the real one.
FAKE_PYTHON = f"""#!/bin/sh
if [ "$2" = tools.channels ]; then printf '%s\\n' "$@" > "$(dirname "$0")/python.args"; exit 0; fi
exec "{REPO_ROOT / ".venv" / "bin" / "python"}" "$@"
"""


@pytest.mark.parametrize(
    ("target", "variables", "arguments"),
    [
        ("pause", ["CHANNEL=EMAIL", 'REASON=bounce storm from the "March" import'], ["pause", "EMAIL", "--reason", 'bounce storm from the "March" import']),
        ("resume", ["CHANNEL=SMS"], ["resume", "SMS", "--reason", ""]),
        ("channels", [], ["status"]),
    ],
)
def test_channel_targets_select_the_workspace_and_hand_the_request_to_the_tool(fake_terraform: Path, target: str, variables: list[str], arguments: list[str]) -> None:
    python = script(fake_terraform.parent, "python", FAKE_PYTHON)
    make(target, fake_terraform, f"PY={python}", *variables)
    # The environment's workspace first, as make outputs does: one that exists and was applied (it has outputs)
    assert (fake_terraform.parent / "terraform.log").read_text().splitlines() == [
        "-chdir=terraform workspace list",
        "-chdir=terraform workspace select dev",
        "-chdir=terraform output -json",
    ]
    # THEN the tool, with the same terraform, and the request as it was typed (quotes intact)
    assert (fake_terraform.parent / "python.args").read_text().splitlines() == ["-m", "tools.channels", "--terraform", str(fake_terraform), *arguments]


# --- make test's installs -------------------------------------------------------------------------------------

# Stand-ins for the installers `make test` runs side by side (uv sync, npm ci, checkov's `uv venv` and
# `uv pip sync`, its python a silent stand-in too) and for the virtualenv's python that then starts the checks. Each writes what it was asked to a
# shared log; the one named by FAILING says why it fails on its output, as a real installer would, and exits 1.
FAKE_INSTALLER = """#!/bin/sh
name="$(basename "$0") $1"
echo "$name" >> "$INSTALL_LOG"
case "$name" in
  "$FAILING"*) echo "$name: 404 Not Found: the stand-in's failure"; exit 1 ;;
  "uv sync") mkdir -p .venv/bin; cp "$0.python" .venv/bin/python ;;
  "uv venv") mkdir -p "$3/bin"; printf '#!/bin/sh\n' > "$3/bin/python"; chmod +x "$3/bin/python" ;;
  "npm ci") mkdir -p node_modules ;;
esac
echo "$name done" >> "$INSTALL_LOG"
"""
CHECKS_STAND_IN = """#!/bin/sh
echo "checks $*" >> "$INSTALL_LOG"
"""


def fresh_clone(folder: Path, failing: str) -> dict[str, str]:
    """Our Makefile in a folder where nothing is installed but uv itself, with stand-in installers; the environment
    `make test` runs them in (FAILING names the one that fails)."""
    shutil.copy(REPO_ROOT / "Makefile", folder / "Makefile")
    for name in ["pyproject.toml", "uv.lock", "package.json", "package-lock.json", "tools/checkov/requirements.txt", "tools/checkov/parse_tables.py"]:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).touch()
    bin_folder = folder / "bin"
    bin_folder.mkdir()
    (folder / ".tools" / "uv" / "bin").mkdir(parents=True)
    for installer in [folder / ".tools" / "uv" / "bin" / "uv", bin_folder / "npm"]:
        script(installer.parent, installer.name, FAKE_INSTALLER)
    script(folder / ".tools" / "uv" / "bin", "uv.python", CHECKS_STAND_IN)
    return {
        **{name: value for name, value in os.environ.items() if name not in MAKE_CONTEXT},
        "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}",
        "INSTALL_LOG": str(folder / "install.log"),
        "FAILING": failing,
        "CHROMIUM": "/usr/bin/chromium",
    }


def make_test(folder: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    result = subprocess.run(["make", "--no-print-directory", "test"], cwd=folder, env=env, capture_output=True, text=True, check=False)
    log = folder / "install.log"
    return result, log.read_text().splitlines() if log.exists() else []


CHECKS = "checks -m tools.test_steps lint-js lint-python checkov terraform-test test-python"


def test_make_test_runs_every_install_then_the_checks_and_once_installed_only_the_checks(tmp_path: Path) -> None:
    # GIVEN a fresh clone WHEN make test runs
    env = fresh_clone(tmp_path, failing="none")
    result, log = make_test(tmp_path, env)
    # THEN every install ran to its end, and only then did the checks start
    assert result.returncode == 0, result.stdout + result.stderr
    assert {"uv sync done", "npm ci done", "uv venv done", "uv pip done"} <= set(log[:-1]), log
    assert log[-1] == CHECKS
    # WHEN it runs again THEN only the checks run, and make says nothing of the installs
    again, log_again = make_test(tmp_path, env)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert log_again == [*log, CHECKS]


@pytest.mark.parametrize("failing", ["npm ci", "uv sync", "uv pip"])
def test_a_failed_install_fails_make_test_with_its_output_and_no_check_starts(tmp_path: Path, failing: str) -> None:
    # GIVEN a fresh clone where one installer fails WHEN make test runs
    result, log = make_test(tmp_path, fresh_clone(tmp_path, failing=failing))
    # THEN make test fails, the installer's own words are in its output, and no check started
    assert result.returncode != 0
    assert f"{failing}: 404 Not Found: the stand-in's failure" in result.stdout, result.stdout + result.stderr
    assert CHECKS not in log, log


# --- the npm lock file ------------------------------------------------------------------------------------------


def test_the_npm_lock_file_gives_every_package_its_tarball_and_keeps_them() -> None:
    # Without a package's `resolved` address, `npm ci` first fetches and parses its registry document, whose size
    # grows with every release published: half of `npm ci`'s CPU time. npm drops them on its next write of the lock
    # file wherever omit-lockfile-registry-resolved is set (a user's ~/.npmrc can): the project's .npmrc unsets it.
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text())
    packages = {path: entry for path, entry in lock["packages"].items() if path and not entry.get("link")}
    assert packages
    unresolved = [path for path, entry in packages.items() if not entry.get("resolved", "").startswith("https://registry.npmjs.org/")]
    assert unresolved == []
    assert all(entry.get("integrity", "").startswith("sha512-") for entry in packages.values())
    assert "omit-lockfile-registry-resolved=false" in (REPO_ROOT / ".npmrc").read_text().splitlines()
