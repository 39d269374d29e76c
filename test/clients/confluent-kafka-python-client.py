"""Drives Python's confluent_kafka (Debian's python3-confluent-kafka, librdkafka 2.0.2) for the
client-matrix tests, one command per process:

    /usr/bin/python3 confluent-kafka-python-client.py <bootstrap> <command> '<json args>'

prints one line of JSON (the command's result) on stdout and exits 0, or the error on stderr
and exits 1. Same commands as kafka-javascript-client.mjs: versions, create-topics,
describe-topics, produce, consume, offsets-by-time, delete-topics; and the admin calls this
client has that the other lacks: alter-configs, describe-configs, create-partitions.
"""
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

bootstrap, command = sys.argv[1], sys.argv[2]
args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
base = {"bootstrap.servers": bootstrap, "client.id": "spool-client-matrix-python"}


def wait_all(futures):
    for future in futures.values():
        future.result(timeout=30)


def versions(_args):
    return {"client": "confluent_kafka", "version": confluent_kafka.version()[0], "librdkafka": confluent_kafka.libversion()[0]}


def create_topics(a):
    admin = AdminClient(base)
    wait_all(admin.create_topics([NewTopic(t["topic"], num_partitions=t["numPartitions"], replication_factor=1) for t in a["topics"]], operation_timeout=30))
    return {"created": True}


def describe_topics(a):
    metadata = AdminClient(base).list_topics(timeout=30)
    out = []
    for name in a["topics"]:
        t = metadata.topics[name]
        if t.error is not None:
            raise KafkaException(t.error)
        out.append({"name": name, "partitions": [{"partition": p.id, "leader": p.leader, "isr": list(p.isrs)} for p in sorted(t.partitions.values(), key=lambda p: p.id)]})
    return {"listed": sorted(n for n in a["topics"] if n in metadata.topics), "brokers": [{"id": b.id, "host": b.host, "port": b.port} for b in metadata.brokers.values()], "topics": out}


def produce(a):
    producer = Producer({**base, "enable.idempotence": True, "compression.type": a["codec"], "linger.ms": 20})
    results = []

    def delivered(err, msg):
        results.append({"partition": msg.partition(), "offset": msg.offset(), "error": None if err is None else str(err)})

    for i in range(a["count"]):
        producer.produce(a["topic"], key=f"key-{i}", value=f"{a['codec']}-value-{i}-{'x' * (i % 40)}", partition=i % 2, timestamp=a["timestampStart"] + i, on_delivery=delivered)
    remaining = producer.flush(30)
    if remaining != 0 or len(results) != a["count"]:
        raise RuntimeError(f"{remaining} messages not delivered")
    return {"results": results}


def consume(a):
    consumer = Consumer({**base, "group.id": a["groupId"], "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe(a["topics"])
    records = []
    deadline = time.monotonic() + a.get("timeoutMs", 30000) / 1000
    while len(records) < a["expected"]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"consumed {len(records)} of {a['expected']} records")
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error() is not None:
            raise KafkaException(msg.error())
        records.append({"topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(), "key": msg.key().decode(), "value": msg.value().decode(), "timestamp": msg.timestamp()[1]})
    consumer.commit(asynchronous=False)
    partitions = sorted({(r["topic"], r["partition"]) for r in records})
    committed = consumer.committed([TopicPartition(t, p) for t, p in partitions], timeout=30)
    consumer.close()
    return {"records": records, "committed": [{"topic": c.topic, "partition": c.partition, "offset": c.offset} for c in committed]}


def offsets_by_time(a):
    consumer = Consumer({**base, "group.id": "spool-offsets-by-time"})
    metadata = consumer.list_topics(a["topic"], timeout=30)
    found = consumer.offsets_for_times([TopicPartition(a["topic"], p, a["timestamp"]) for p in sorted(metadata.topics[a["topic"]].partitions)], timeout=30)
    consumer.close()
    return {"offsets": [{"partition": tp.partition, "offset": tp.offset} for tp in found]}


def delete_topics(a):
    admin = AdminClient(base)
    wait_all(admin.delete_topics(a["topics"], operation_timeout=30))
    return {"remaining": [n for n in a["topics"] if n in admin.list_topics(timeout=30).topics]}


def error_name(future):
    """None when the admin future succeeded, else the Kafka error's name (INVALID_CONFIG, ...)."""
    try:
        future.result(timeout=30)
        return None
    except KafkaException as err:
        return err.args[0].name()


def alter_configs(a):
    """AlterConfigs (the whole set of a topic's overrides); the error name or None."""
    admin = AdminClient(base)  # kept referenced until its futures resolve (else they fail with _DESTROY)
    resource = ConfigResource(ConfigResource.Type.TOPIC, a["topic"], set_config=a["configs"])
    futures = admin.alter_configs([resource], validate_only=a.get("validateOnly", False))
    return {"error": error_name(next(iter(futures.values())))}


def describe_configs(a):
    """DescribeConfigs of a topic or broker: per config its value, source, read-only flag and synonyms."""
    kind = ConfigResource.Type.TOPIC if a["type"] == "topic" else ConfigResource.Type.BROKER
    admin = AdminClient(base)
    futures = admin.describe_configs([ConfigResource(kind, a["name"])])
    entries = next(iter(futures.values())).result(timeout=30)
    def source(entry):
        return entry.source.value if hasattr(entry.source, "value") else int(entry.source)

    def synonyms(entry):
        return [[s.name, source(s)] for s in (entry.synonyms.values() if isinstance(entry.synonyms, dict) else entry.synonyms)]

    return {"configs": {name: {"value": e.value, "source": source(e), "readOnly": e.is_read_only, "synonyms": synonyms(e)} for name, e in entries.items()}}


def create_partitions(a):
    """CreatePartitions to `count`, with explicit replica assignments when given; the error name or None."""
    admin = AdminClient(base)
    futures = admin.create_partitions([NewPartitions(a["topic"], a["count"], replica_assignment=a.get("assignments"))], operation_timeout=30)
    return {"error": error_name(next(iter(futures.values())))}


COMMANDS = {
    "versions": versions,
    "create-topics": create_topics,
    "describe-topics": describe_topics,
    "produce": produce,
    "consume": consume,
    "offsets-by-time": offsets_by_time,
    "delete-topics": delete_topics,
    "alter-configs": alter_configs,
    "describe-configs": describe_configs,
    "create-partitions": create_partitions,
}

if command not in COMMANDS:
    sys.stderr.write(f"unknown command {command}; one of {', '.join(COMMANDS)}\n")
    sys.exit(2)
try:
    print(json.dumps(COMMANDS[command](args)))
except Exception as err:  # noqa: BLE001 - every failure is reported the same way to the test
    sys.stderr.write(f"{command} failed: {err!r}\n")
    sys.exit(1)
