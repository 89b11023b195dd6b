"""Custom TFX components of tfx-ledger, one package each."""
