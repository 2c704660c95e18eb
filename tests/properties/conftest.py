"""The resolver fixtures of tests/resolvers, shared rather than copied: `run` executes one handler in QuickJS."""

from tests.resolvers.conftest import run  # noqa: F401  (a fixture: pytest finds it by this name)
