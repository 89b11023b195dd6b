"""What each page shows, built from the registry and lineage libraries as plain data."""
