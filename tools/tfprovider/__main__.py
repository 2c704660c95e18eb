"""Command line of the schema-only Terraform providers.

    python -m tools.tfprovider run --dir DIR [--offline | --online] -- TERRAFORM ARGS...
    python -m tools.tfprovider warm        # build the plugin's cache (schema bytes, TLS certificate) now
    python -m tools.tfprovider generate [WHEEL ...]   # regenerate schemas/ (see generate_schema.py)
"""

from __future__ import annotations

import argparse
import sys

from tools.tfprovider import cache, generate_schema, runner


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["generate"]:
        return generate_schema.main(args[1:])
    parser = argparse.ArgumentParser(prog="python -m tools.tfprovider")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a terraform command in a directory")
    run.add_argument("--dir", required=True, help="the Terraform configuration's directory")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--offline", dest="online", action="store_false", default=None,
                      help="use the schema-only providers (default when the registry is unreachable)")
    mode.add_argument("--online", dest="online", action="store_true", help="use the real providers (terraform init)")
    run.add_argument("terraform_args", nargs=argparse.REMAINDER, help="after --: the terraform command")
    commands.add_parser("warm", help="build the plugin's cache now")
    commands.add_parser("generate", help="regenerate the committed schemas from the cdktn wheels")
    options = parser.parse_args(args)
    if options.command == "warm":
        for name in cache.PROVIDERS:
            cache.ensure_cached(name)
        cache.ensure_tls()
        return 0
    terraform_args = options.terraform_args[1:] if options.terraform_args[:1] == ["--"] else options.terraform_args
    if not terraform_args:
        parser.error("give the terraform command after --, e.g. -- validate")
    try:
        return runner.run(options.dir, terraform_args, online=options.online).returncode
    except runner.TerraformNotFound as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
