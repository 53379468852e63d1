"""Produces records with kafka-python, then reads them back in assign mode, and prints what came back as JSON.

Run by kafka-python.test.ts: argv is bootstrap, topic, codec ('none' or kafka-python's compression_type),
count, api_version ('auto' for the newest the broker offers, else dotted like '0.10'; 'producer/consumer' such as
'0.9/auto' gives each its own), with_headers (0/1).
Record i has key b'key-i', a value of a few hundred bytes, timestamp base + i and, with headers, two headers.
"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

bootstrap, topic, codec, count, api_version, with_headers = sys.argv[1:7]
count = int(count)
with_headers = with_headers == '1'


def parse_version(text):
    return None if text == 'auto' else tuple(int(part) for part in text.split('.'))


producer_version_text, _, consumer_version_text = api_version.partition('/')
producer_version = parse_version(producer_version_text)
consumer_version = parse_version(consumer_version_text or producer_version_text)
BASE_TIMESTAMP = 1_700_000_000_000


def value(i):
    return ('value-%d-' % i).encode() + bytes((i + j) % 256 for j in range(300))


producer = KafkaProducer(
    bootstrap_servers=bootstrap,
    api_version=producer_version,
    compression_type=None if codec == 'none' else codec,
    acks='all',
    linger_ms=5,
    batch_size=32 * 1024,
    enable_idempotence=False,
)
futures = []
for i in range(count):
    headers = [('index', str(i).encode()), ('kind', b'python')] if with_headers else None
    futures.append(producer.send(topic, key=b'key-%d' % i, value=value(i), partition=0,
                                 timestamp_ms=BASE_TIMESTAMP + i, headers=headers))
producer.flush()
acknowledged = [future.get(timeout=30) for future in futures]
producer.close()

consumer = KafkaConsumer(
    bootstrap_servers=bootstrap,
    api_version=consumer_version,
    enable_auto_commit=False,
    group_id=None,
    consumer_timeout_ms=15_000,
)
partition = TopicPartition(topic, 0)
consumer.assign([partition])
consumer.seek_to_beginning(partition)
records = []
for message in consumer:
    records.append({
        'offset': message.offset,
        'key': message.key.decode(),
        'valueOk': message.value == value(int(message.key.decode().split('-')[1])),
        'timestamp': message.timestamp,
        'timestampType': message.timestamp_type,
        'headers': [[name, data.decode()] for name, data in (message.headers or [])],
    })
    if len(records) == count:
        break
consumer.close()

print(json.dumps({
    'acknowledgedOffsets': [metadata.offset for metadata in acknowledged],
    'records': records,
}))
