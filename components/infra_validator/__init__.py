"""LedgerInfraValidator: infra validation in a sandboxed local model server."""
