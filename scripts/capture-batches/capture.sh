#!/usr/bin/env bash
# Regenerates the golden batch fixtures in packages/protocol/test/fixtures/batches/:
#   java-*.bin + java-manifest.json     from the Java client's MemoryRecordsBuilder (CaptureBatches.java)
#   kafkajs-*.bin + kafkajs-manifest.json from kafkajs' own record batch encoder (capture-kafkajs.js)
#   kafka-python-*.bin + kafka-python-manifest.json from kafka-python's MemoryRecordsBuilder, when kafka-python
#     and its codec modules are installed (pip install kafka-python python-snappy lz4 zstandard xxhash)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/packages/protocol/test/fixtures/batches"
mkdir -p "$out"
"$here/setup.sh"
java -cp "$here/.cache/classes:$here/.cache/lib/*" CaptureBatches capture "$out"
node "$here/capture-kafkajs.js" "$out"
if python3 -c 'import kafka, snappy, lz4.frame, zstandard, xxhash' 2>/dev/null; then
  python3 "$here/capture_kafka_python.py" "$out"
else
  echo "kafka-python or its codecs are not installed: kafka-python fixtures left as they are" >&2
fi
ls -l "$out"
