"""The shared MariaDB test server really backs MLMD: put and get an artifact over TCP."""
from ml_metadata.proto import metadata_store_pb2

from pipeline.metadata import open_store


def test_mlmd_round_trip_on_mariadb(mariadb):
    store = open_store(mariadb.create_database("roundtrip"))
    type_id = store.put_artifact_type(metadata_store_pb2.ArtifactType(name="Probe"))
    [aid] = store.put_artifacts([metadata_store_pb2.Artifact(type_id=type_id, uri="probe://1")])
    again = open_store(mariadb.create_database("roundtrip_other"))
    assert [a.uri for a in store.get_artifacts_by_id([aid])] == ["probe://1"]
    assert again.get_artifacts() == []
