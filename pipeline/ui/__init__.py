"""`ledger ui`: a read-only local web app over the MLMD store; imports no TFX/TensorFlow."""
