// Smoke tests of the real peers that scripts/install-peers.sh installs: each one runs, reports the version we
// expect, and (for the clients) really opens a connection and sends a Kafka request. If one fails here, every
// integration test that uses that peer would fail for reasons that have nothing to do with Tributary.
import { FirstRequestCatcher, type RequestHeader } from '../helpers/first-request';
import { runKafkaTool } from '../helpers/kafka-tools';
import { describeWithPeer, describeWithPeers, peerStatus } from '../helpers/peers';
import { runCommand, startProcess } from '../helpers/processes';
import { startZooKeeper, zooKeeperFourLetterWord, type ZooKeeperServer } from '../helpers/zookeeper';

const API_VERSIONS = 18;

/** Starts a client command against a catcher, returns the first request header it sent, then stops it. */
async function firstRequestOf(command: string, args: (port: number) => string[]): Promise<RequestHeader> {
  const catcher = new FirstRequestCatcher();
  const port = await catcher.listen();
  const client = startProcess(command, args(port), { description: command });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      catcher.firstRequest,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no request from ${command} in 20 s:\n${client.log}`)), 20_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    // Clients retry forever and some ignore SIGTERM while connecting: there is nothing to wait for.
    await client.stop(500);
    await catcher.close();
  }
}

describeWithPeer('kcat', 'kcat', () => {
  test('runs and reports its librdkafka', async () => {
    const result = await runCommand(peerStatus('kcat').path, ['-V']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('kcat - Apache Kafka producer and consumer tool');
    expect(result.stdout).toMatch(/Version \d+\.\d+\.\d+ \(.*librdkafka \d+\.\d+\.\d+/);
  });

  test('connects and opens with an ApiVersions request', async () => {
    const header = await firstRequestOf(peerStatus('kcat').path, (port) => ['-b', `127.0.0.1:${port}`, '-L', '-m', '30']);
    expect(header.apiKey).toBe(API_VERSIONS);
    expect(header.clientId).toBe('rdkafka');
  }, 30_000);
});

describeWithPeers(['kafka-python', 'confluent-kafka'], 'Python clients', () => {
  test('kafka-python and confluent-kafka import and report their versions', async () => {
    const script = 'import kafka, confluent_kafka; print(kafka.__version__); print(confluent_kafka.__version__); print(confluent_kafka.libversion()[0])';
    const result = await runCommand(peerStatus('kafka-python').path, ['-c', script]);
    expect(result.stderr).toBe('');
    const [kafkaPython, confluentKafka, librdkafka] = result.stdout.trim().split('\n');
    expect(kafkaPython).toMatch(/^\d+\.\d+\.\d+$/);
    expect(confluentKafka).toMatch(/^\d+\.\d+\.\d+$/);
    expect(librdkafka).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('kafka-python connects and opens with an ApiVersions request', async () => {
    const script = 'import sys; from kafka import KafkaConsumer; KafkaConsumer(bootstrap_servers=sys.argv[1])';
    const header = await firstRequestOf(peerStatus('kafka-python').path, (port) => ['-c', script, `127.0.0.1:${port}`]);
    expect(header.apiKey).toBe(API_VERSIONS);
    expect(header.clientId).toMatch(/^kafka-python/);
  }, 30_000);

  test('confluent-kafka connects and opens with an ApiVersions request', async () => {
    const script = 'import sys; from confluent_kafka.admin import AdminClient; AdminClient({"bootstrap.servers": sys.argv[1]}).list_topics(timeout=15)';
    const header = await firstRequestOf(peerStatus('confluent-kafka').path, (port) => ['-c', script, `127.0.0.1:${port}`]);
    expect(header.apiKey).toBe(API_VERSIONS);
    expect(header.clientId).toBe('rdkafka');
  }, 30_000);
});

describeWithPeer('franz-go', 'franz-go', () => {
  test('franz-peer reports the franz-go it was built with', async () => {
    const result = await runCommand(peerStatus('franz-go').path, ['version']);
    expect(result.code).toBe(0);
    const version = JSON.parse(result.stdout) as { franzGo: string; go: string };
    expect(version.franzGo).toMatch(/^v1\.\d+\.\d+$/);
    expect(version.go).toMatch(/^go1\.\d+/);
  });

  test('connects and opens with an ApiVersions request', async () => {
    const header = await firstRequestOf(peerStatus('franz-go').path, (port) => ['metadata', '-brokers', `127.0.0.1:${port}`]);
    expect(header.apiKey).toBe(API_VERSIONS);
    // franz-go names itself kgo unless told otherwise.
    expect(header.clientId).toBe('kgo');
  }, 30_000);
});

describeWithPeer('kafka-tools', "Apache Kafka's tools", () => {
  test('kafka-topics.sh --version is Kafka 3.9', async () => {
    const result = await runKafkaTool('kafka-topics.sh', ['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^3\.9\.\d+/);
  }, 30_000);

  test('kafka-dump-log.sh --help describes its options', async () => {
    const result = await runKafkaTool('kafka-dump-log.sh', ['--help']);
    expect(result.stdout + result.stderr).toContain('--files');
  }, 30_000);

  test('the Java client connects and opens with an ApiVersions request', async () => {
    const header = await firstRequestOf(peerStatus('kafka-tools').path, (port) => [
      'kafka-topics.sh',
      '--bootstrap-server',
      `127.0.0.1:${port}`,
      '--list',
    ]);
    expect(header.apiKey).toBe(API_VERSIONS);
    // Kafka's AdminClient names itself adminclient-<n>.
    expect(header.clientId).toMatch(/^adminclient-\d+$/);
    // Java clients from 2.4 on open with ApiVersions v3 or newer (KIP-511: they send their software name).
    expect(header.apiVersion).toBeGreaterThanOrEqual(3);
  }, 30_000);
});

describeWithPeer('burrow', 'Burrow', () => {
  test('runs and prints its usage', async () => {
    const result = await runCommand(peerStatus('burrow').path, ['-h']);
    expect(result.stdout + result.stderr).toContain('-config-dir');
  });
});

describeWithPeers(['zookeeper', 'kafka-tools'], 'ZooKeeper', () => {
  let zookeeper: ZooKeeperServer;
  beforeAll(async () => {
    zookeeper = await startZooKeeper();
  }, 40_000);
  afterAll(async () => {
    await zookeeper?.stop();
  });

  test('a standalone server starts and answers srvr', async () => {
    const answer = await zooKeeperFourLetterWord(zookeeper.port, 'srvr');
    expect(answer).toMatch(/^Zookeeper version: 3\.\d+\.\d+/);
    expect(answer).toContain('Mode: standalone');
  });

  test("Kafka's zookeeper-shell lists its root znodes", async () => {
    const result = await runKafkaTool('zookeeper-shell.sh', [zookeeper.connectString, 'ls', '/']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('[zookeeper]');
  }, 30_000);
});
