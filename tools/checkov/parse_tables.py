"""Writes the LALR tables of checkov's JSONPath parsers into their packages, where PLY reads them before building any.

Run by checkov's own Python when `make` builds its environment. bc_jsonpath_ng asks PLY for a new parser on every
parse and never lets it write its tables, so PLY builds them again each time: checkov parses a JSONPath for each
nested attribute it renders, about a hundred of them over terraform/, a fifth of a scan's CPU. PLY uses a table
module only if the signature it holds is that of the grammar asking for it, and builds the tables otherwise: the
parser is the same either way.
"""

from __future__ import annotations

import sys
from pathlib import Path

import ply.yacc
from bc_jsonpath_ng.ext.parser import ExtentedJsonPathParser
from bc_jsonpath_ng.parser import JsonPathParser

# The table module's name and start symbol bc_jsonpath_ng's parse_token_stream asks PLY for; PLY imports it from
# the package of the parser's class.
TABLE_MODULE = "parser_jsonpath_parsetab"
START = "jsonpath"


def main() -> None:
    for parser_class in (JsonPathParser, ExtentedJsonPathParser):
        package_dir = Path(sys.modules[parser_class.__module__].__file__ or "").parent
        ply.yacc.yacc(
            module=parser_class(),
            start=START,
            tabmodule=TABLE_MODULE,
            outputdir=str(package_dir),
            write_tables=True,
            debug=False,
            errorlog=ply.yacc.NullLogger(),
        )
        table = package_dir / f"{TABLE_MODULE}.py"
        if not table.is_file():
            sys.exit(f"PLY wrote no table for {parser_class.__name__} in {package_dir}")
        print(f"wrote {table}")


if __name__ == "__main__":
    main()
