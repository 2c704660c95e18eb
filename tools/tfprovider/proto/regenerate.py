"""Regenerate the Python modules of the plugin protocol from the `.proto` files beside this script.

    .venv/bin/python -m tools.tfprovider.proto.regenerate

The generated `*_pb2.py` files are committed (the plugin must start without grpcio-tools); regenerate them
after editing a `.proto` file, with the grpcio-tools pinned in pyproject.toml (it matches the pinned protobuf).
"""

from __future__ import annotations

import sys
from pathlib import Path

from grpc_tools import protoc

PROTO_DIR = Path(__file__).resolve().parent
# grpc_controller.proto only documents the Shutdown RPC: its Empty messages travel as raw bytes.
PROTOS = ("tfplugin6.proto",)


def regenerate(out_dir: Path = PROTO_DIR) -> None:
    for proto in PROTOS:
        status = protoc.main(["protoc", f"--proto_path={PROTO_DIR}", f"--python_out={out_dir}", proto])
        if status != 0:
            raise RuntimeError(f"protoc failed on {proto} ({status})")


if __name__ == "__main__":
    regenerate(Path(sys.argv[1]) if len(sys.argv) > 1 else PROTO_DIR)
