# confluent-kafka (librdkafka) in transactions, for librdkafka-transactions.test.ts. librdkafka speaks the
# newest versions of the transaction APIs (kafkajs the oldest), so both ends of the version range get proven.
#
#   python librdkafka_transactions.py produce <bootstrap> <topic> <group>
#       three transactions on partition 0: commit 3 records, abort 2, commit 2; the aborted and the last one
#       also send the group's offsets (5 and 7) with send_offsets_to_transaction. Prints one JSON line per
#       delivery report and "done" at the end.
#   python librdkafka_transactions.py consume <bootstrap> <topic> <read_committed|read_uncommitted> <last value>
#       reads partition 0 from the beginning (assign mode, no group) until <last value>; prints
#       [[offset, value], ...] as JSON.
import json
import sys

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def produce(bootstrap, topic, group):
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": "librdkafka-txn", "transaction.timeout.ms": 30000})
    # A consumer in assign mode only gives send_offsets_to_transaction its group metadata.
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    producer.init_transactions(30)

    def report(err, msg):
        print(json.dumps({"error": str(err) if err else None, "value": msg.value().decode(), "offset": msg.offset()}), flush=True)

    def transaction(values, commit, offset=None):
        producer.begin_transaction()
        for value in values:
            producer.produce(topic, value=value.encode(), partition=0, on_delivery=report)
        if offset is not None:
            producer.send_offsets_to_transaction([TopicPartition(topic, 0, offset)], consumer.consumer_group_metadata(), 30)
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)

    transaction(["c1-0", "c1-1", "c1-2"], True)
    transaction(["a2-0", "a2-1"], False, 5)
    transaction(["c3-0", "c3-1"], True, 7)
    consumer.close()
    print("done", flush=True)


def consume(bootstrap, topic, isolation, last):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "librdkafka-reader", "isolation.level": isolation, "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    records = []
    for _ in range(600):
        msg = consumer.poll(0.1)
        if msg is None:
            continue
        if msg.error():
            raise KafkaException(msg.error())
        records.append([msg.offset(), msg.value().decode()])
        if records[-1][1] == last:
            break
    consumer.close()
    print(json.dumps(records), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        produce(*sys.argv[2:5])
    else:
        consume(*sys.argv[2:6])
