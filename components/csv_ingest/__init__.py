"""Typed CSV ingestion: ExampleGen that parses columns by the dataset config instead of guessing."""
