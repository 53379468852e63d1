#!/usr/bin/env bash
# Regenerates the golden batch fixtures in packages/protocol/test/fixtures/batches/:
#   java-*.bin + java-manifest.json     from the Java client's MemoryRecordsBuilder (CaptureBatches.java)
#   kafkajs-*.bin + kafkajs-manifest.json from kafkajs' own record batch encoder (capture-kafkajs.js)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/packages/protocol/test/fixtures/batches"
mkdir -p "$out"
"$here/setup.sh"
java -cp "$here/.cache/classes:$here/.cache/lib/*" CaptureBatches capture "$out"
node "$here/capture-kafkajs.js" "$out"
ls -l "$out"
