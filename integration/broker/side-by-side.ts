/**
 * A real Kafka 3.9 (ZooKeeper mode) and a Tributary started with the same settings, one raw connection to each,
 * for tests that send both the same request and compare the answers whole. Kafka is broker 0, Tributary broker 1.
 */
import { ApiKey, ApiMessages, ZERO_UUID, asTopicName, decodeResponseFrame, encodeRequestFrame } from '@tributary/protocol';
import { RawClient } from './raw-client';
import { TributaryProcess } from './tributary-process';
import { ZkKafka, startZkKafka } from './zk-kafka';

/** Builds the request one broker gets: `build(0)` for Kafka, `build(1)` for Tributary. */
export type RequestFor<K extends ApiKey> = (broker: number) => [K, number, ApiMessages[K]['request']];

export class SideBySide {
  private correlationId = 0;

  private constructor(
    private readonly kafka: ZkKafka,
    private readonly tributary: TributaryProcess,
    private readonly clients: readonly RawClient[],
    private readonly clientId: string,
  ) {}

  /** Starts both brokers on `settings` (Tributary's data in `dataDir`) and waits until Kafka knows its controller. */
  static async start(dataDir: string, settings: Record<string, string>, clientId: string): Promise<SideBySide> {
    const [kafka, tributary] = await Promise.all([startZkKafka(settings), TributaryProcess.start(dataDir, Object.entries(settings).map(([key, value]) => `${key}=${value}`))]);
    const clients = [await RawClient.connect(kafka.host, kafka.port), await RawClient.connect(tributary.host, tributary.port)];
    const brokers = new SideBySide(kafka, tributary, clients, clientId);
    await brokers.until('Kafka knows its controller', async () => ((await brokers.each(() => [ApiKey.Metadata, 12, metadataRequest()]))[0] as { controllerId: number }).controllerId !== -1);
    return brokers;
  }

  /**
   * Sends each broker its own request under one correlation id; resolves with the answers, Kafka's first
   * ('closed' where a broker closed the connection instead). `observe` sees each decoded answer.
   */
  async each<K extends ApiKey>(build: RequestFor<K>, observe?: (apiKey: K, response: ApiMessages[K]['response'], broker: number) => void): Promise<[unknown, unknown]> {
    const id = ++this.correlationId;
    const answers = await Promise.all(
      this.clients.map(async (client, broker) => {
        const [apiKey, version, request] = build(broker);
        const before = client.frames.length;
        client.send(encodeRequestFrame(apiKey, version, id, this.clientId, request));
        await client.until(() => client.frames.length > before || client.closed, 'an answer');
        if (client.closed) return 'closed';
        const { correlationId: answered, response } = decodeResponseFrame(apiKey, version, client.frames[before]);
        expect(answered).toBe(id);
        observe?.(apiKey, response as ApiMessages[K]['response'], broker);
        return response;
      }),
    );
    return [answers[0], answers[1]];
  }

  /** Polls `condition` every 100 ms for up to 30 s. */
  async until(what: string, condition: () => Promise<boolean>): Promise<void> {
    for (let attempt = 0; attempt < 300; attempt++) {
      if (await condition()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting until ${what}`);
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.close();
    await Promise.all([this.kafka.stop(), this.tributary.stop()]);
  }
}

/** Metadata v12 for the named topics, or for all (no names): no auto-creation, no authorized operations. */
export function metadataRequest(names?: readonly string[]): ApiMessages[ApiKey.Metadata]['request'] {
  return {
    topics: names === undefined ? null : names.map((name) => ({ topicId: ZERO_UUID, name: asTopicName(name) })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
}
