"""agentmixer: theory-first cooperative multi-agent learning and game solving.

The library lives in the top-level packages ``games``, ``ce``, ``learners`` and
``verification``; this package holds the version and the command-line interface.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("agentmixer")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"
