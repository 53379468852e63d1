import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { franzPeerBinary, kafkaToolScript, venvPython } from './paths';

/**
 * The real Kafka peers that integration tests run against Tributary. scripts/install-peers.sh installs all of
 * them; a user without them gets skipped suites with the reason printed, CI (CI=true) gets failures, because a
 * CI run that silently skipped its peers would prove nothing.
 */
export type PeerName = 'kcat' | 'java' | 'kafka-tools' | 'kafka-python' | 'confluent-kafka' | 'franz-go' | 'zookeeper' | 'burrow';

export interface PeerStatus {
  name: PeerName;
  available: boolean;
  /** What to run: the executable (kcat, Burrow, java, franz-peer), the Python interpreter, or the ZooKeeper jar. */
  path: string;
  /** When unavailable: what is missing and how to get it. */
  reason?: string;
}

const installHint = 'install the peers with `sudo scripts/install-peers.sh`';

/** The Debian zookeeper package's server jar; its manifest names the jars it needs. */
export const zookeeperJar = '/usr/share/java/zookeeper.jar';

function succeeds(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  return result.status === 0;
}

function onPath(command: string): string | undefined {
  const result = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function pythonModulePeer(name: PeerName, module: string): PeerStatus {
  if (!fs.existsSync(venvPython)) return { name, available: false, path: venvPython, reason: `no Python venv at ${venvPython}; ${installHint}` };
  if (!succeeds(venvPython, ['-c', `import ${module}`])) {
    return { name, available: false, path: venvPython, reason: `Python module ${module} is not in ${venvPython}; ${installHint}` };
  }
  return { name, available: true, path: venvPython };
}

function executablePeer(name: PeerName, command: string): PeerStatus {
  const found = onPath(command);
  return found ? { name, available: true, path: found } : { name, available: false, path: command, reason: `${command} is not on PATH; ${installHint}` };
}

function detect(name: PeerName): PeerStatus {
  switch (name) {
    case 'kcat':
      return executablePeer(name, 'kcat');
    case 'java':
      return executablePeer(name, 'java');
    case 'burrow':
      return executablePeer(name, 'Burrow');
    case 'kafka-python':
      return pythonModulePeer(name, 'kafka');
    case 'confluent-kafka':
      return pythonModulePeer(name, 'confluent_kafka');
    case 'franz-go':
      if (!fs.existsSync(franzPeerBinary)) return { name, available: false, path: franzPeerBinary, reason: `franz-peer is not built at ${franzPeerBinary}; ${installHint}` };
      return { name, available: true, path: franzPeerBinary };
    case 'kafka-tools': {
      const java = detect('java');
      if (!java.available) return { ...java, name };
      // --status only looks: fetching (a minute, over the network) is install-peers.sh's job, not a test's.
      if (!succeeds(kafkaToolScript, ['--status'])) {
        return { name, available: false, path: kafkaToolScript, reason: `the Kafka jars are not fetched; run scripts/kafka-tool --fetch-only or ${installHint}` };
      }
      return { name, available: true, path: kafkaToolScript };
    }
    case 'zookeeper': {
      const java = detect('java');
      if (!java.available) return { ...java, name };
      if (!fs.existsSync(zookeeperJar)) return { name, available: false, path: zookeeperJar, reason: `no ZooKeeper server at ${zookeeperJar}; ${installHint}` };
      return { name, available: true, path: zookeeperJar };
    }
  }
}

const detected = new Map<PeerName, PeerStatus>();

/** Looks for a peer once per test process (detection runs commands, synchronously, at collection time). */
export function peerStatus(name: PeerName): PeerStatus {
  let status = detected.get(name);
  if (!status) {
    status = detect(name);
    detected.set(name, status);
  }
  return status;
}

export function isCi(): boolean {
  return process.env.CI === 'true';
}

/** The peer's status when it is available; throws with the reason when not (use inside a test). */
export function requirePeer(name: PeerName): PeerStatus {
  const status = peerStatus(name);
  if (!status.available) throw new Error(`peer ${name} is missing: ${status.reason}`);
  return status;
}

/**
 * `describe` for a block that needs real peers. With all of them present it is plain `describe`. Otherwise, on a
 * user's machine the block is skipped and the reason printed; under CI=true the block becomes one failing test
 * that names what is missing.
 */
export function describeWithPeers(peers: PeerName | readonly PeerName[], title: string, body: () => void): void {
  const names = typeof peers === 'string' ? [peers] : peers;
  const missing = names.map(peerStatus).filter((status) => !status.available);
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const reasons = missing.map((status) => `${status.name}: ${status.reason}`).join('\n  ');
  if (isCi()) {
    describe(title, () => {
      test(`has its peers (${names.join(', ')})`, () => {
        throw new Error(`CI=true and peers are missing:\n  ${reasons}`);
      });
    });
    return;
  }
  console.warn(`skipping "${title}": peers are missing:\n  ${reasons}`);
  describe.skip(title, body);
}

/** The same as describeWithPeers, named for the common one-peer case: `describeWithPeer('kcat', ...)`. */
export const describeWithPeer = describeWithPeers;
