"""The ledger home a benchmark measures: `--home`/`--model`, and the check that it has run."""
from __future__ import annotations

import argparse
import os
import sys

from pipeline.paths import ledger_home


def add_home_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", default=None, help="Ledger home (default $LEDGER_HOME/.ledger)")
    parser.add_argument("--model", default="penguins@production")


def existing_home(override: str | None) -> str | None:
    """The home's path, or None (after saying why) when no pipeline has run there."""
    home = ledger_home(override).home
    if not os.path.exists(os.path.join(home, "metadata.sqlite")):
        print(f"no ledger home with an MLMD store at {home}: run `ledger run` first",
              file=sys.stderr)
        return None
    return home
