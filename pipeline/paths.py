"""Where a run writes: everything under $LEDGER_HOME (default `.ledger/` in the checkout)."""
from __future__ import annotations

import os
from dataclasses import dataclass

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATASET_CONFIG = os.path.join(PROJECT_ROOT, "data", "penguins.yaml")


@dataclass(frozen=True)
class LedgerPaths:
    """The pipeline root, the SQLite MLMD store and the serving root of one ledger home."""

    home: str

    @property
    def pipeline_root(self) -> str:
        return os.path.join(self.home, "pipelines")

    @property
    def metadata_path(self) -> str:
        return os.path.join(self.home, "metadata.sqlite")

    @property
    def serving_root(self) -> str:
        return os.path.join(self.home, "serving")

    @property
    def captures_root(self) -> str:
        return os.path.join(self.home, "captures")

    @property
    def logs_root(self) -> str:
        """One log file per `ledger run`: the libraries' output (TF, absl, Beam)."""
        return os.path.join(self.home, "logs")


def ledger_home(override: str | None = None) -> LedgerPaths:
    """The ledger home: an explicit path, else $LEDGER_HOME, else `.ledger/` in the checkout."""
    home = override or os.environ.get("LEDGER_HOME") or os.path.join(PROJECT_ROOT, ".ledger")
    return LedgerPaths(home=os.path.abspath(home))
