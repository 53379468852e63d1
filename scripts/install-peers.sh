#!/usr/bin/env bash
# Installs the real Kafka peers that the integration tests run against Tributary, on a fresh Debian machine,
# as root. Safe to run again: each step checks first and is quick when its peer is already there.
#
#   Debian: kcat (librdkafka's CLI), zookeeper (the server, for cluster mode; tests start their own on a random
#           port, so we take the plain package and not zookeeperd, which would run a system service on 2181),
#           burrow (consumer-lag checker, /usr/bin/Burrow).
#   Java:   a JDK is expected on the machine already; this only checks `java -version`.
#   Python: kafka-python and confluent-kafka, in a virtualenv at $TRIBUTARY_CACHE/venv (default .cache/venv).
#           A venv rather than `pip install --user`: the versions are pinned here and cannot clash with whatever
#           the machine's Python has, and tests find the interpreter at one known path
#           (integration/helpers/peers.ts), whichever python3 is first on PATH.
#   Go:     franz-peer, a small CLI over the franz-go client (integration/peers/franz-go), built with the
#           machine's Go into $TRIBUTARY_CACHE/bin; its modules come from the Go module proxy.
#   Kafka:  the official Apache Kafka 3.9 jars (for kafka-topics.sh and friends), via scripts/kafka-tool.
#   Others: every scripts/*/setup.sh, the setups of the project's capture and cross-check tools.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_root="${TRIBUTARY_CACHE:-$repo/.cache}"
venv="$cache_root/venv"
debian_packages=(kcat zookeeper burrow)
# python-snappy, lz4, zstandard: kafka-python compresses with snappy, lz4 and zstd only when these import; xxhash: its
# lz4 for message format v0 (api_version below 0.10) writes the old, miscomputed frame checksum, which needs xxhash.
python_packages=(kafka-python==3.0.12 confluent-kafka==2.16.1 python-snappy==0.7.3 lz4==4.4.5 zstandard==0.25.0 xxhash==4.1.0)

step() { echo "install-peers: $*"; }
fail() { echo "install-peers: $*" >&2; exit 1; }
# Runs a noisy command quietly, showing its output only when it fails.
quietly() {
  local log
  log="$(mktemp)"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    fail "failed: $*"
  fi
  rm -f "$log"
}

missing=()
# Debian's own python3 keeps venv's pip bootstrap in a separate package; other Pythons (pyenv) carry it.
python3 -c 'import ensurepip, venv' 2>/dev/null || debian_packages+=(python3-venv)
for package in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
  [[ $(id -u) -eq 0 ]] || fail "installing ${missing[*]} needs root (apt-get)"
  step "apt-get update"
  quietly apt-get update -q
  step "apt-get install ${missing[*]}"
  quietly env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  step "Debian packages already installed: ${debian_packages[*]}"
fi

command -v java >/dev/null || fail "java not found: install a JDK 17 (apt-get install openjdk-17-jdk-headless)"
step "JDK present: $(java -version 2>&1 | head -n 1)"
command -v mvn >/dev/null || fail "mvn not found: Maven fetches the Kafka jars (apt-get install maven)"

if [[ -x "$venv/bin/python" ]] && "$venv/bin/python" - "${python_packages[@]}" <<'PY'
import sys
from importlib.metadata import version, PackageNotFoundError
for spec in sys.argv[1:]:
    name, wanted = spec.split("==")
    try:
        if version(name) != wanted:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
then
  step "Python packages already in $venv: ${python_packages[*]}"
else
  step "pip install ${python_packages[*]} into $venv"
  mkdir -p "$cache_root"
  [[ -x "$venv/bin/python" ]] || quietly python3 -m venv "$venv"
  quietly "$venv/bin/python" -m pip install --disable-pip-version-check -q "${python_packages[@]}"
fi

franz_source="$repo/integration/peers/franz-go"
franz_binary="$cache_root/bin/franz-peer"
if [[ -x "$franz_binary" && -z "$(find "$franz_source" -newer "$franz_binary" -type f)" ]]; then
  step "franz-peer already built at $franz_binary"
else
  command -v go >/dev/null || fail "go not found: franz-go needs Go $(sed -n 's/^go //p' "$franz_source/go.mod") or newer"
  step "building franz-peer (franz-go $(sed -n 's|.*github.com/twmb/franz-go \(v[^ ]*\)$|\1|p' "$franz_source/go.mod")) into $franz_binary"
  mkdir -p "$cache_root/bin"
  (cd "$franz_source" && quietly go build -o "$franz_binary" .)
fi

step "Kafka jars via scripts/kafka-tool --fetch-only"
"$repo/scripts/kafka-tool" --fetch-only

# Tools that capture or cross-check bytes against real clients keep their own setup beside them
# (scripts/<tool>/setup.sh, idempotent); the tests that use them need them installed too.
for setup in "$repo"/scripts/*/setup.sh; do
  [[ -f "$setup" ]] || continue
  step "${setup#"$repo"/}"
  quietly bash "$setup"
done
step "done"
