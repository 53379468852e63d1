/**
 * Apache Kafka's own command-line tools (3.9, from Maven Central via scripts/kafka-tool) against a Tributary
 * broker started as a user starts it: kafka-topics.sh and kafka-configs.sh, read as a user reads their output.
 */
import { describeWithPeer } from '../helpers/peers';
import { runKafkaTool } from '../helpers/kafka-tools';
import { useTempDirs } from '../helpers/tmp';
import { TributaryProcess } from './tributary-process';

describeWithPeer('kafka-tools', "Kafka's CLI tools", () => {
  const tempDir = useTempDirs('broker-kafka-tools');
  let broker: TributaryProcess;

  beforeAll(async () => {
    broker = await TributaryProcess.start(tempDir());
  }, 30_000);

  afterAll(async () => {
    await broker?.stop();
  });

  async function tool(name: string, args: string[]): Promise<string> {
    const result = await runKafkaTool(name, ['--bootstrap-server', broker.bootstrap, ...args], { timeoutMs: 60_000 });
    if (result.code !== 0) throw new Error(`${name} ${args.join(' ')} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  test('kafka-topics.sh creates, lists, describes, grows and deletes topics', async () => {
    expect(await tool('kafka-topics.sh', ['--create', '--topic', 'tools-topic', '--partitions', '3', '--config', 'retention.ms=60000'])).toContain('Created topic tools-topic.');
    expect((await tool('kafka-topics.sh', ['--list'])).trim().split('\n')).toContain('tools-topic');

    const describe = await tool('kafka-topics.sh', ['--describe', '--topic', 'tools-topic']);
    const [summary, ...partitions] = describe.trim().split('\n');
    expect(summary).toMatch(/^Topic: tools-topic\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: retention.ms=60000$/);
    expect(partitions.map((line) => line.trim().split('\t').slice(0, 5).join(' '))).toEqual(
      [0, 1, 2].map((p) => `Topic: tools-topic Partition: ${p} Leader: 1001 Replicas: 1001 Isr: 1001`),
    );

    await tool('kafka-topics.sh', ['--alter', '--topic', 'tools-topic', '--partitions', '5']);
    expect(await tool('kafka-topics.sh', ['--describe', '--topic', 'tools-topic'])).toContain('PartitionCount: 5');

    const duplicate = await runKafkaTool('kafka-topics.sh', ['--bootstrap-server', broker.bootstrap, '--create', '--topic', 'tools-topic'], { timeoutMs: 60_000 });
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stdout + duplicate.stderr).toContain("Topic 'tools-topic' already exists.");

    await tool('kafka-topics.sh', ['--delete', '--topic', 'tools-topic']);
    expect((await tool('kafka-topics.sh', ['--list'])).trim().split('\n')).not.toContain('tools-topic');
  }, 120_000);

  test('kafka-configs.sh describes and alters topic configs, and describes the broker', async () => {
    await tool('kafka-topics.sh', ['--create', '--topic', 'configured']);
    const entity = ['--entity-type', 'topics', '--entity-name', 'configured'];
    expect(await tool('kafka-configs.sh', [...entity, '--alter', '--add-config', 'retention.ms=1000,cleanup.policy=compact'])).toContain('Completed updating config for topic configured.');
    expect((await tool('kafka-configs.sh', [...entity, '--describe'])).trim().split('\n')).toEqual([
      'Dynamic configs for topic configured are:',
      '  cleanup.policy=compact sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact, DEFAULT_CONFIG:log.cleanup.policy=delete}',
      '  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000}',
    ]);
    await tool('kafka-configs.sh', [...entity, '--alter', '--delete-config', 'retention.ms']);
    expect(await tool('kafka-configs.sh', [...entity, '--describe'])).not.toContain('retention.ms');

    const broker1001 = await tool('kafka-configs.sh', ['--entity-type', 'brokers', '--entity-name', '1001', '--describe', '--all']);
    expect(broker1001).toContain('All configs for broker 1001 are:');
    expect(broker1001).toContain(`  listeners=PLAINTEXT://127.0.0.1:0 sensitive=false synonyms={STATIC_BROKER_CONFIG:listeners=PLAINTEXT://127.0.0.1:0, DEFAULT_CONFIG:listeners=PLAINTEXT://:9092}`);
    expect(broker1001).toContain('  num.partitions=1 sensitive=false synonyms={DEFAULT_CONFIG:num.partitions=1}');
  }, 120_000);
});
