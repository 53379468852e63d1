"""Captures request frames exactly as kafka-python encodes them for the wire, as golden fixtures.

kafka-python's connection calls `request.with_header(...)` then `request.encode(framed=True, header=True)`
for every request it sends; this script does the same for a set of requests a client sends in normal use
(producing, consuming in a group, administration), at several versions each, and writes one JSON fixture with
the frame bytes and the field values kafka-python was given. Tributary's tests decode each frame with the
generated codecs and compare the fields.

    python3 scripts/capture-requests/kafka_python_capture.py packages/protocol/test/fixtures/requests/kafka-python.json
"""
import base64
import importlib
import json
import sys
import uuid

import kafka
from kafka.protocol.data_container import DataContainer

RECORDS = bytes.fromhex(
    # Opaque bytes standing in for a record batch: the request codec carries records without reading them.
    "0000000000000000000000440000000002b6b5e8ed0000000000000000018c8f0d5e00000000018c8f0d5e00"
    "ffffffffffffffffffffffffffff0000000124000000010a68656c6c6f0a776f726c6400"
)
TOPIC_ID = uuid.UUID("5f8e2b1c-3d4a-4b6c-8e9f-0a1b2c3d4e5f")

# (module, class, versions, field values). Versions stay within Kafka 3.9's ranges.
CAPTURES = [
    ("kafka.protocol.metadata.api_versions", "ApiVersionsRequest", [0, 1, 2], {}),
    ("kafka.protocol.metadata.api_versions", "ApiVersionsRequest", [3, 4],
     {"client_software_name": "kafka-python", "client_software_version": kafka.__version__}),
    ("kafka.protocol.metadata.metadata", "MetadataRequest", [0, 1, 4, 8, 9, 12],
     {"topics": [{"name": "orders"}, {"name": "payments"}], "allow_auto_topic_creation": True}),
    ("kafka.protocol.metadata.metadata", "MetadataRequest", [10, 12],
     {"topics": [{"name": None, "topic_id": TOPIC_ID}], "allow_auto_topic_creation": False}),
    ("kafka.protocol.metadata.find_coordinator", "FindCoordinatorRequest", [0, 1, 2, 3], {"key": "billing", "key_type": 0}),
    ("kafka.protocol.metadata.find_coordinator", "FindCoordinatorRequest", [4, 6], {"key_type": 0, "coordinator_keys": ["billing", "audit"]}),
    ("kafka.protocol.producer.produce", "ProduceRequest", [2, 3, 7, 8, 9, 11],
     {"transactional_id": None, "acks": -1, "timeout_ms": 30000,
      "topic_data": [{"name": "orders", "partition_data": [{"index": 0, "records": RECORDS}, {"index": 3, "records": RECORDS}]}]}),
    ("kafka.protocol.consumer.fetch", "FetchRequest", [4, 7, 11, 12, 13, 15, 16, 17],
     {"replica_id": -1, "max_wait_ms": 500, "min_bytes": 1, "max_bytes": 52428800, "isolation_level": 1,
      "session_id": 0, "session_epoch": -1,
      "topics": [{"topic": "orders", "topic_id": TOPIC_ID, "partitions": [
          {"partition": 0, "current_leader_epoch": 5, "fetch_offset": 1234, "last_fetched_epoch": -1,
           "log_start_offset": -1, "partition_max_bytes": 1048576}]}],
      "forgotten_topics_data": [], "rack_id": "rack-a"}),
    ("kafka.protocol.consumer.offsets", "ListOffsetsRequest", [1, 2, 4, 6, 7, 8, 9],
     {"replica_id": -1, "isolation_level": 0,
      "topics": [{"name": "orders", "partitions": [{"partition_index": 0, "current_leader_epoch": -1, "timestamp": -2}]}]}),
    ("kafka.protocol.consumer.group", "JoinGroupRequest", [0, 1, 5, 6, 7, 9],
     {"group_id": "billing", "session_timeout_ms": 10000, "rebalance_timeout_ms": 300000, "member_id": "",
      "group_instance_id": None, "protocol_type": "consumer",
      "protocols": [{"name": "range", "metadata": b"\x00\x01\x00\x00\x00\x01\x00\x06orders\xff\xff\xff\xff"}], "reason": None}),
    ("kafka.protocol.consumer.group", "SyncGroupRequest", [0, 3, 4, 5],
     {"group_id": "billing", "generation_id": 3, "member_id": "kafka-python-1-abc", "group_instance_id": None,
      "protocol_type": "consumer", "protocol_name": "range",
      "assignments": [{"member_id": "kafka-python-1-abc", "assignment": b"\x00\x01\x00\x00\x00\x01\x00\x06orders\x00\x00\x00\x01\x00\x00\x00\x00"}]}),
    ("kafka.protocol.consumer.group", "HeartbeatRequest", [0, 1, 3, 4],
     {"group_id": "billing", "generation_id": 3, "member_id": "kafka-python-1-abc", "group_instance_id": None}),
    ("kafka.protocol.consumer.group", "LeaveGroupRequest", [0, 1, 2], {"group_id": "billing", "member_id": "kafka-python-1-abc"}),
    ("kafka.protocol.consumer.group", "LeaveGroupRequest", [3, 4, 5],
     {"group_id": "billing", "members": [{"member_id": "kafka-python-1-abc", "group_instance_id": None, "reason": None}]}),
    ("kafka.protocol.consumer.group", "OffsetCommitRequest", [2, 5, 7, 8, 9],
     {"group_id": "billing", "generation_id_or_member_epoch": 3, "member_id": "kafka-python-1-abc",
      "group_instance_id": None, "retention_time_ms": -1,
      "topics": [{"name": "orders", "partitions": [{"partition_index": 0, "committed_offset": 1500,
                                                    "committed_leader_epoch": -1, "committed_metadata": ""}]}]}),
    ("kafka.protocol.consumer.group", "OffsetFetchRequest", [1, 3, 5, 6, 7],
     {"group_id": "billing", "topics": [{"name": "orders", "partition_indexes": [0, 1, 2]}], "require_stable": False}),
    ("kafka.protocol.admin.groups", "DescribeGroupsRequest", [0, 1, 4, 5], {"groups": ["billing"], "include_authorized_operations": False}),
    ("kafka.protocol.admin.groups", "ListGroupsRequest", [0, 3, 4, 5], {"states_filter": [], "types_filter": []}),
    ("kafka.protocol.admin.groups", "DeleteGroupsRequest", [0, 2], {"groups_names": ["billing"]}),
    ("kafka.protocol.admin.topics", "CreateTopicsRequest", [0, 1, 4, 5, 7],
     {"topics": [{"name": "orders", "num_partitions": 6, "replication_factor": 1, "assignments": [],
                  "configs": [{"name": "cleanup.policy", "value": "compact"}, {"name": "retention.ms", "value": "86400000"}]}],
      "timeout_ms": 30000, "validate_only": False}),
    ("kafka.protocol.admin.topics", "DeleteTopicsRequest", [0, 1, 4, 5], {"topic_names": ["orders"], "timeout_ms": 30000}),
    ("kafka.protocol.admin.topics", "CreatePartitionsRequest", [0, 1, 2, 3],
     {"topics": [{"name": "orders", "count": 12, "assignments": None}], "timeout_ms": 30000, "validate_only": False}),
    ("kafka.protocol.admin.topics", "DeleteRecordsRequest", [0, 1, 2],
     {"topics": [{"name": "orders", "partitions": [{"partition_index": 0, "offset": 1000}]}], "timeout_ms": 30000}),
    ("kafka.protocol.admin.configs", "DescribeConfigsRequest", [0, 1, 3, 4],
     {"resources": [{"resource_type": 2, "resource_name": "orders", "configuration_keys": None}],
      "include_synonyms": True, "include_documentation": False}),
    ("kafka.protocol.admin.configs", "AlterConfigsRequest", [0, 1, 2],
     {"resources": [{"resource_type": 2, "resource_name": "orders", "configs": [{"name": "retention.ms", "value": "1000"}]}],
      "validate_only": False}),
    ("kafka.protocol.admin.cluster", "DescribeClusterRequest", [0, 1],
     {"include_cluster_authorized_operations": False, "endpoint_type": 1}),
    ("kafka.protocol.producer.transaction", "InitProducerIdRequest", [0, 2, 3, 4, 5],
     {"transactional_id": "tx-1", "transaction_timeout_ms": 60000, "producer_id": -1, "producer_epoch": -1}),
    ("kafka.protocol.producer.transaction", "EndTxnRequest", [0, 3, 4],
     {"transactional_id": "tx-1", "producer_id": 4000, "producer_epoch": 2, "committed": True}),
    ("kafka.protocol.sasl", "SaslHandshakeRequest", [0, 1], {"mechanism": "PLAIN"}),
]


def build(cls, values, version):
    """Builds a kafka-python request from plain values, nested dicts becoming its nested data classes."""
    kwargs = {}
    for name, value in values.items():
        field = cls.fields.get(name)
        if field is None:
            raise KeyError(f"{cls.__name__} has no field {name}")
        if isinstance(value, list) and value and isinstance(value[0], dict):
            value = [build(field.data_class, item, version) for item in value]
        elif isinstance(value, dict):
            value = build(field.data_class, value, version)
        kwargs[name] = value
    return cls(version=version, **kwargs)


ZERO_UUID = "AAAAAAAAAAAAAAAAAAAAAA"


def plain_field(container, name):
    """A field's value as it travels: kafka-python leaves an unset UUID or tagged struct as None, which the
    wire carries as the zero UUID or the struct's defaults."""
    field = type(container).fields[name]
    value = getattr(container, name)
    if value is None and field.type_str == "uuid":
        return ZERO_UUID
    if value is None and field.is_struct and not field.nullable_for_version_q(container.version):
        return plain(field.data_class(version=container.version))
    return plain(value)


def plain(value):
    """Field values as JSON: UUIDs in Kafka's base64url text, bytes as hex, structs as dicts."""
    if isinstance(value, DataContainer):
        return {name: plain_field(value, name) for name in type(value).fields
                if type(value).fields[name].for_version_q(value.version)}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, uuid.UUID):
        return base64.urlsafe_b64encode(value.bytes).decode().rstrip("=")
    if isinstance(value, (bytes, bytearray)):
        return {"hex": bytes(value).hex()}
    return value


def main(target):
    fixtures = []
    correlation_id = 100
    for module_name, class_name, versions, values in CAPTURES:
        cls = getattr(importlib.import_module(module_name), class_name)
        for version in versions:
            correlation_id += 1
            request = build(cls, values, version)
            request.with_header(correlation_id=correlation_id, client_id="kafka-python-capture")
            frame = request.encode(framed=True, header=True)
            fixtures.append({
                "request": class_name,
                "apiKey": request.API_KEY,
                "apiVersion": version,
                "correlationId": correlation_id,
                "clientId": "kafka-python-capture",
                "frameHex": frame.hex(),
                "fields": plain(request),
            })
    with open(target, "w") as out:
        json.dump({"client": f"kafka-python {kafka.__version__}", "captures": fixtures}, out, indent=1)
        out.write("\n")
    print(f"wrote {len(fixtures)} frames from kafka-python {kafka.__version__} to {target}")


if __name__ == "__main__":
    main(sys.argv[1])
