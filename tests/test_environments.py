"""tools/environments.py, which the Makefile's deploy targets run before Terraform: the registry check, providers
already installed (and `terraform init` offline from them), the credential check, and whether an environment was
applied. Where Terraform is on PATH, the offline init and the workspace checks run against the real one."""

from __future__ import annotations

import base64
import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools import environments

REFUSED = "http://127.0.0.1:9"  # nothing listens on the loopback's discard port
LOCK = """# This file is maintained automatically by "terraform init".
provider "registry.terraform.io/hashicorp/aws" {
  version     = "6.47.0"
  constraints = ">= 6.0.0, ~> 6.47"
  hashes = [
    "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "zh:0000000000000000000000000000000000000000000000000000000000000000",
  ]
}

provider "registry.terraform.io/hashicorp/time" {
  version = "0.13.1"
  hashes = [
    "h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=",
  ]
}
"""
TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="no terraform on PATH")


class _Registry(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        found = self.path == environments.DISCOVERY_PATH and self.server.answers  # type: ignore[attr-defined]
        body = b'{"modules.v1": "/v1/modules/", "providers.v1": "/v1/providers/"}' if found else b"not here"
        self.send_response(200 if found else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def registry() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Registry)
    server.answers = True  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def url(server: http.server.HTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def install(data_dir: Path, source: str, version: str, target: str | None = None) -> Path:
    """A provider package as `terraform init` unpacks it: <data dir>/providers/<source>/<version>/<os_arch>/."""
    package = data_dir / "providers" / source / version / (target or environments.go_platform())
    package.mkdir(parents=True)
    binary = package / f"terraform-provider-{source.rsplit('/', 1)[1]}_v{version}_x5"
    binary.write_text("#!/bin/sh\nexit 1\n")
    binary.chmod(0o755)
    return package


# --- the registry --------------------------------------------------------------------------------------------


def test_a_registry_that_serves_its_discovery_document_is_reachable(registry: http.server.HTTPServer) -> None:
    assert environments.registry_problem(url(registry)) is None


def test_a_registry_that_is_refused_or_answers_something_else_is_not(registry: http.server.HTTPServer) -> None:
    assert environments.registry_problem(REFUSED) is not None
    registry.answers = False  # type: ignore[attr-defined]
    assert environments.registry_problem(url(registry)) == "it answered HTTP 404"


def test_an_empty_registry_skips_the_check() -> None:
    assert environments.registry_problem("") is None


# --- providers already installed -------------------------------------------------------------------------------


def test_providers_count_as_installed_only_when_every_locked_version_is_there_for_this_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_DATA_DIR", raising=False)
    # GIVEN no lock file: init must ask the registry which versions to take
    assert not environments.providers_installed(tmp_path)
    (tmp_path / ".terraform.lock.hcl").write_text(LOCK)
    # WHEN one of the two locked providers is installed, or the other for another machine, THEN not
    install(tmp_path / ".terraform", "registry.terraform.io/hashicorp/aws", "6.47.0")
    assert not environments.providers_installed(tmp_path)
    install(tmp_path / ".terraform", "registry.terraform.io/hashicorp/time", "0.13.1", target="plan9_mips")
    assert not environments.providers_installed(tmp_path)
    # AND an older version of it does not count either
    install(tmp_path / ".terraform", "registry.terraform.io/hashicorp/time", "0.12.0")
    assert not environments.providers_installed(tmp_path)
    # WHEN both are there at their locked versions, THEN they are
    install(tmp_path / ".terraform", "registry.terraform.io/hashicorp/time", "0.13.1")
    assert environments.providers_installed(tmp_path)


def test_tf_data_dir_is_read_relative_to_the_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".terraform.lock.hcl").write_text(LOCK)
    for source, version in (("registry.terraform.io/hashicorp/aws", "6.47.0"), ("registry.terraform.io/hashicorp/time", "0.13.1")):
        install(tmp_path / "elsewhere", source, version)
    monkeypatch.setenv("TF_DATA_DIR", "elsewhere")
    assert environments.providers_installed(tmp_path)
    monkeypatch.delenv("TF_DATA_DIR")
    assert not environments.providers_installed(tmp_path)


# --- AWS credentials -------------------------------------------------------------------------------------------


@pytest.fixture
def no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("no_credentials")
def test_credentials_are_found_through_boto3s_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert environments.credentials_problem() is not None
    # A profile in the shared files counts, as the environment's keys do
    (tmp_path / "credentials").write_text("[deploy]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = example\n")
    monkeypatch.setenv("AWS_PROFILE", "deploy")
    assert environments.credentials_problem() is None


@pytest.mark.usefixtures("no_credentials")
def test_a_profile_that_does_not_exist_is_named_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nonesuch")
    problem = environments.credentials_problem()
    assert problem is not None and "nonesuch" in problem and "AWS_PROFILE=" in problem


# --- init --------------------------------------------------------------------------------------------------------


FAKE_TERRAFORM = """#!/bin/sh
printf '%s\\n' "$@" > "$(dirname "$0")/terraform.args"
exit 3
"""


@pytest.fixture
def fake_terraform(tmp_path: Path) -> Path:
    script = tmp_path / "bin" / "terraform"
    script.parent.mkdir()
    script.write_text(FAKE_TERRAFORM)
    script.chmod(0o755)
    return script


def test_init_uses_the_registry_when_it_answers(fake_terraform: Path, tmp_path: Path, registry: http.server.HTTPServer) -> None:
    code = environments.main(["--terraform", str(fake_terraform), "--chdir", str(tmp_path), "init", "--registry", url(registry)])
    assert code == 3, "terraform's own exit status"
    assert (fake_terraform.parent / "terraform.args").read_text().splitlines() == [f"-chdir={tmp_path}", "init", "-input=false"]


def test_init_goes_offline_from_the_installed_providers_when_the_registry_is_out_of_reach(fake_terraform: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TF_DATA_DIR", raising=False)
    (tmp_path / ".terraform.lock.hcl").write_text(LOCK)
    install(tmp_path / ".terraform", "registry.terraform.io/hashicorp/aws", "6.47.0")
    install(tmp_path / ".terraform", "registry.terraform.io/hashicorp/time", "0.13.1")
    environments.main(["--terraform", str(fake_terraform), "--chdir", str(tmp_path), "init", "--registry", REFUSED])
    arguments = (fake_terraform.parent / "terraform.args").read_text().splitlines()
    assert arguments == [f"-chdir={tmp_path}", "init", "-input=false", f"-plugin-dir={(tmp_path / '.terraform' / 'providers').resolve()}"]
    assert "using the providers installed in" in capsys.readouterr().out


@pytest.mark.usefixtures("no_credentials")
def test_init_stops_before_terraform_with_a_line_for_each_problem(fake_terraform: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = environments.main(["--terraform", str(fake_terraform), "--chdir", str(tmp_path), "init", "--registry", REFUSED, "--credentials"])
    assert code == 1 and not (fake_terraform.parent / "terraform.args").exists()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"Terraform's registry ({REFUSED}) cannot be reached") and lines[1].startswith("no AWS credentials found")


@needs_terraform
def test_real_terraform_inits_offline_from_what_providers_installed_says_is_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a configuration whose locked provider is unpacked where `terraform init` installs it, with its hash
    monkeypatch.delenv("TF_DATA_DIR", raising=False)
    monkeypatch.setenv("CHECKPOINT_DISABLE", "1")
    (tmp_path / "main.tf").write_text('terraform {\n  required_providers {\n    null = { source = "hashicorp/null", version = "~> 3.2" }\n  }\n}\n')
    package = install(tmp_path / ".terraform", "registry.terraform.io/hashicorp/null", "3.2.3")
    (tmp_path / ".terraform.lock.hcl").write_text(f'provider "registry.terraform.io/hashicorp/null" {{\n  version     = "3.2.3"\n  constraints = "~> 3.2"\n  hashes = [\n    "{dirhash(package)}",\n  ]\n}}\n')
    assert environments.providers_installed(tmp_path)
    # WHEN init runs with the registry out of reach, THEN Terraform initialises from them, asking no registry
    result = subprocess.run(
        [sys.executable, "-m", "tools.environments", "--terraform", str(TERRAFORM), "--chdir", str(tmp_path), "init", "--registry", REFUSED],
        capture_output=True, text=True, check=False, cwd=Path(environments.__file__).parent.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Using previously-installed hashicorp/null v3.2.3" in result.stdout


def dirhash(package: Path) -> str:
    """Terraform's "h1:" hash of an unpacked package (Go's dirhash.Hash1)."""
    summary = "".join(f"{hashlib.sha256(file.read_bytes()).hexdigest()}  {file.name}\n" for file in sorted(package.iterdir()))
    return "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()


# --- select ------------------------------------------------------------------------------------------------------


@needs_terraform
def test_real_terraform_an_environment_is_deployed_once_its_state_has_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CHECKPOINT_DISABLE", "1")
    (tmp_path / "main.tf").write_text('output "graphql_url" {\n  value = "https://example"\n}\n')

    def select() -> int:
        return environments.main(["--terraform", str(TERRAFORM), "--chdir", str(tmp_path), "select", "dev"])

    def terraform(*arguments: str) -> None:
        subprocess.run([str(TERRAFORM), f"-chdir={tmp_path}", *arguments], capture_output=True, check=True)

    # GIVEN no workspace for dev: not deployed
    assert select() == 1
    assert capsys.readouterr().err.strip() == "not deployed yet: make apply ENV=dev"
    # GIVEN its workspace, as make plan makes it, with nothing applied: still not deployed
    terraform("workspace", "new", "dev")
    terraform("workspace", "select", "default")
    assert select() == 1
    assert capsys.readouterr().err.strip() == "not deployed yet: make apply ENV=dev"
    # GIVEN it applied: selected
    terraform("workspace", "select", "dev")
    terraform("apply", "-auto-approve", "-input=false")
    terraform("workspace", "select", "default")
    assert select() == 0
    assert capsys.readouterr().err == ""
    assert (tmp_path / ".terraform" / "environment").read_text() == "dev"
