"""Golden batches from kafka-python's MemoryRecordsBuilder (the builder its producer uses), for magic 0, 1, 2.

Writes kafka-python-*.bin and kafka-python-manifest.json into the folder given. The manifest holds what
kafka-python's own MemoryRecords reader decodes from each file (after validate_crc), in the JSON shape of the
Java manifest, reduced to the fields its reader exposes for every format.

Needs: pip install kafka-python python-snappy lz4 zstandard xxhash   (xxhash: magic-0 LZ4 header checksum)
"""
import hashlib
import json
import os
import sys

import kafka
from kafka.record import MemoryRecords, MemoryRecordsBuilder

BASE_TIMESTAMP = 1_700_000_000_000
CODECS = {'none': 0, 'gzip': 1, 'snappy': 2, 'lz4': 3, 'zstd': 4}


def describe_bytes(data):
    if data is None:
        return None
    data = bytes(data)
    if len(data) > 256:
        return 'sha256:' + hashlib.sha256(data).hexdigest()
    return data.hex()


def messages(count, size):
    out = []
    for i in range(count):
        text, state = '', 4242 + i
        while len(text) < size:
            state = (state * 1103515245 + 12345) & 0xFFFFFFFF
            text += 'py-%d-%d ' % (i, state % 83)
        out.append({
            'timestamp': BASE_TIMESTAMP + 11 * i,
            'key': None if i == 2 else ('key-%d' % i).encode(),
            'value': None if i == 3 else text[:size].encode(),
            'headers': [('trace', b'abc'), ('nil', None)] if i == 1 else [],
        })
    return out


def build(magic, codec, records, transactional=False):
    kwargs = {}
    if transactional:
        kwargs = dict(transactional=True, producer_id=4242, producer_epoch=3, base_sequence=17)
    builder = MemoryRecordsBuilder(magic=magic, compression_type=CODECS[codec], batch_size=16 << 20, **kwargs)
    for record in records:
        builder.append(record['timestamp'], record['key'], record['value'],
                       record['headers'] if magic >= 2 else [])
    builder.close()
    return bytes(builder.records()._buffer)


def describe(data):
    batches = []
    for batch in MemoryRecords(data):
        batch.validate_crc()
        described = {'magic': batch.magic, 'compression': [k for k, v in CODECS.items() if v == batch.compression_type][0], 'records': []}
        if batch.magic >= 2:
            described.update(producerId=str(batch.producer_id), producerEpoch=batch.producer_epoch,
                             baseSequence=batch.base_sequence, isTransactional=batch.is_transactional)
        for record in batch:
            described['records'].append({
                'offset': str(record.offset),
                'timestamp': str(record.timestamp if record.timestamp is not None else -1),
                'key': describe_bytes(record.key),
                'value': describe_bytes(record.value),
                'headers': [{'key': k, 'value': describe_bytes(v)} for k, v in record.headers],
            })
        batches.append(described)
    return batches


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    producer = 'kafka-python %s MemoryRecordsBuilder' % kafka.__version__
    manifest = []
    specs = [(2, codec, False, 6, 120) for codec in CODECS]
    specs += [(2, 'lz4', True, 6, 120), (2, 'snappy', False, 60, 2000), (2, 'lz4', False, 60, 2000)]
    specs += [(magic, codec, False, 6, 120) for magic in (0, 1) for codec in ('none', 'gzip', 'snappy', 'lz4')]
    for magic, codec, transactional, count, size in specs:
        data = build(magic, codec, messages(count, size), transactional)
        name = 'kafka-python-v%d-%s%s%s.bin' % (magic, codec, '-txn' if transactional else '', '-large' if count > 6 else '')
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
        manifest.append({'file': name, 'producer': producer, 'magic': magic, 'codec': codec, 'batches': describe(data)})
    with open(os.path.join(out, 'kafka-python-manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
