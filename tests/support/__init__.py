"""Test support shared across test packages: real servers the tests start and stop."""
