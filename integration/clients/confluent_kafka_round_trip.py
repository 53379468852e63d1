"""Produces records with confluent-kafka (librdkafka), then reads them back in assign mode; prints JSON.

Run by confluent-kafka.test.ts: argv is bootstrap, topic, codec, count and, optionally, 'old'. Record i has key
b'key-i', a value of a few hundred bytes, CreateTime base + i and two headers. With 'old', librdkafka skips
ApiVersions and takes the broker for 0.9.0 (message format v0: no headers, no timestamps), the path of clients configured for
old brokers. Every delivery report is collected: its error (if any),
partition and offset, so the test checks what the broker acknowledged, not merely that flush() returned.
"""
import json
import sys

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

bootstrap, topic, codec, count = sys.argv[1:5]
count = int(count)
old = len(sys.argv) > 5 and sys.argv[5] == 'old'
# Deprecated settings, and librdkafka warns so on stderr, but they are what such clients run with.
compatibility = {'api.version.request': False, 'broker.version.fallback': '0.9.0'} if old else {}
BASE_TIMESTAMP = 1_700_000_000_000


def value(i):
    return ('value-%d-' % i).encode() + bytes((i * 7 + j) % 256 for j in range(300))


reports = []


def on_delivery(error, message):
    reports.append({
        'error': None if error is None else str(error),
        'key': message.key().decode(),
        'partition': message.partition(),
        'offset': message.offset(),
    })


producer = Producer({
    'bootstrap.servers': bootstrap,
    'compression.codec': codec,
    'acks': 'all',
    'linger.ms': 5,
    'enable.idempotence': False,
    **compatibility,
})
for i in range(count):
    while True:
        try:
            producer.produce(topic, key=b'key-%d' % i, value=value(i), partition=0, timestamp=BASE_TIMESTAMP + i,
                             headers=None if old else [('index', str(i).encode()), ('codec', codec.encode())], on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.1)
    producer.poll(0)
remaining = producer.flush(30)

consumer = Consumer({
    'bootstrap.servers': bootstrap,
    'group.id': 'confluent-kafka-assign-only',
    'enable.auto.commit': False,
    'enable.partition.eof': True,
    **compatibility,
})
consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
records = []
while True:
    message = consumer.poll(15)
    if message is None:
        break
    if message.error():
        if message.error().code() == KafkaError._PARTITION_EOF:
            if len(records) >= count:
                break
            continue
        raise SystemExit('consume error: %s' % message.error())
    timestamp_type, timestamp = message.timestamp()
    records.append({
        'offset': message.offset(),
        'key': message.key().decode(),
        'valueOk': message.value() == value(int(message.key().decode().split('-')[1])),
        'timestamp': timestamp,
        'timestampType': timestamp_type,
        'headers': [[name, data.decode()] for name, data in (message.headers() or [])],
    })
consumer.close()

print(json.dumps({'unflushed': remaining, 'reports': reports, 'records': records}))
