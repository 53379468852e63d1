#!/usr/bin/env bash
# Fetches the Java client 3.9.0 and its codec libraries from Maven Central into .cache/lib and compiles
# CaptureBatches.java into .cache/classes. Idempotent; used by capture.sh and by CI before the unit tests
# (the Java cross-check test fails under CI=true when these are missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
if [ ! -f .cache/lib/kafka-clients-3.9.0.jar ]; then
  mvn -q -B -Dmaven.repo.local=.cache/m2 dependency:copy-dependencies -DoutputDirectory=.cache/lib
fi
if [ ! -f .cache/classes/CaptureBatches.class ] || [ CaptureBatches.java -nt .cache/classes/CaptureBatches.class ]; then
  mkdir -p .cache/classes
  javac -d .cache/classes -cp ".cache/lib/*" CaptureBatches.java
fi
