"""Write each module README's inputs and outputs tables from its variables.tf and outputs.tf.

    python tools/module_docs.py           # rewrite the tables between the markers
    python tools/module_docs.py --check   # exit 1 if a README is out of date

Like terraform-docs (not installable offline here): the text between the markers is
generated, everything around it is written by hand.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

MODULES_DIR = Path(__file__).resolve().parent.parent / "modules"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"
_OPTIONS = SerializationOptions(strip_string_quotes=True, preserve_heredocs=False, explicit_blocks=False)


def _expression(value: Any) -> str:
    if isinstance(value, str):
        match = re.fullmatch(r"\$\{(.*)\}", value, re.DOTALL)
        return match.group(1) if match else json.dumps(value)
    return json.dumps(value)


def _type(value: Any) -> str:
    # A bare type keyword comes back as the plain string ("string"), a constructor as an expression.
    return _expression(value) if isinstance(value, str) and value.startswith("${") else str(value)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _load(path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    if not path.exists():
        return []
    document = hcl2.loads(path.read_text(), serialization_options=_OPTIONS)
    return [(name, body) for entry in document.get(kind, []) for name, body in entry.items()]


def render(module_dir: Path) -> str:
    lines = ["## Inputs", "", "| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
    for name, body in _load(module_dir / "variables.tf", "variable"):
        required = "default" not in body
        default = "n/a" if required else f"`{_cell(_expression(body['default']))}`"
        lines.append(
            f"| `{name}` | {_cell(body.get('description', ''))} | `{_cell(_type(body.get('type', 'any')))}` | {default} | {'yes' if required else 'no'} |"
        )
    lines += ["", "## Outputs", "", "| Name | Description |", "|---|---|"]
    for name, body in _load(module_dir / "outputs.tf", "output"):
        sensitive = " (sensitive)" if body.get("sensitive") is True else ""
        lines.append(f"| `{name}` | {_cell(body.get('description', ''))}{sensitive} |")
    return "\n".join(lines)


def updated(readme: str, module_dir: Path) -> str:
    if BEGIN not in readme or END not in readme:
        raise ValueError(f"{module_dir.name}/README.md has no {BEGIN} ... {END} markers")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{render(module_dir)}\n{END}{tail}"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for module_dir in sorted(path for path in MODULES_DIR.iterdir() if path.is_dir()):
        readme_path = module_dir / "README.md"
        readme = readme_path.read_text()
        fresh = updated(readme, module_dir)
        if fresh != readme:
            stale.append(readme_path)
            if not check:
                readme_path.write_text(fresh)
    if check and stale:
        print("out of date (run `make docs`): " + ", ".join(str(path) for path in stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
