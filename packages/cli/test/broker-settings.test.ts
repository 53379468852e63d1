import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SettingsError, loadBrokerSettings } from '../src/broker-settings';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('loadBrokerSettings', () => {
  test('no file, no overrides: a broker on localhost:9092 with its data in ./data', () => {
    const { config, unknownKeys, source } = loadBrokerSettings(undefined, [], dir);
    expect(config.list('listeners')).toEqual(['PLAINTEXT://:9092']);
    expect(config.list('advertised.listeners')).toEqual(['PLAINTEXT://localhost:9092']);
    expect(config.logDirs).toEqual([path.join(dir, 'data')]);
    expect(unknownKeys).toEqual([]);
    expect(source).toBeUndefined();
  });

  test('a server.properties file, with --override on top; relative log dirs resolve against the start dir', () => {
    const file = path.join(dir, 'server.properties');
    fs.writeFileSync(file, '# sample\nbroker.id=0\nlisteners=PLAINTEXT://127.0.0.1:19092\nlog.dirs=logs-a,/abs/b\nnum.partitions=3\nmy.plugin.key=1\n');
    const { config, unknownKeys, source } = loadBrokerSettings('server.properties', ['num.partitions=5', 'auto.create.topics.enable=false'], dir);
    expect(source).toBe(file);
    expect(config.int('num.partitions')).toBe(5);
    expect(config.bool('auto.create.topics.enable')).toBe(false);
    expect(config.list('listeners')).toEqual(['PLAINTEXT://127.0.0.1:19092']);
    // Listeners were given, so advertised.listeners stays unset (they are advertised as bound, as in Kafka).
    expect(config.list('advertised.listeners')).toBeNull();
    expect(config.logDirs).toEqual([path.join(dir, 'logs-a'), '/abs/b']);
    expect(unknownKeys).toEqual(['my.plugin.key']);
  });

  test('invalid values, a missing file and a malformed override are errors that say what to fix', () => {
    expect(() => loadBrokerSettings(undefined, ['num.partitions=zero', 'message.max.bytes=-5'], dir)).toThrow(
      new SettingsError(
        'invalid configuration:\n  Invalid value zero for configuration num.partitions: Not a number of type INT\n  Invalid value -5 for configuration message.max.bytes: Value must be at least 0',
      ),
    );
    expect(() => loadBrokerSettings('nope.properties', [], dir)).toThrow(`cannot read the properties file ${path.join(dir, 'nope.properties')}: ENOENT`);
    expect(() => loadBrokerSettings(undefined, ['num.partitions'], dir)).toThrow('--override num.partitions: expected key=value');
  });
});
