"""Click commands of the `ledger` CLI, one module per area; none imports tfx at module level."""
