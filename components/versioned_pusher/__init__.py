"""VersionedPusher: deploys an approved model as `<serving_root>/<model>/<version>/`, atomically."""
