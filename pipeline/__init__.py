"""Pipeline factory, runners, CLI, and the MLMD registry and lineage libraries."""
