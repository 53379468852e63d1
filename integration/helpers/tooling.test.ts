// Tests of the test tooling itself: scripts/run-ts.mjs, scripts/kafka-tool's dispatch, and the helpers that
// every integration test leans on (ports, process groups). A broken helper would otherwise show up as
// confusing failures in other people's tests.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { runKafkaTool } from './kafka-tools';
import { repoRoot } from './paths';
import { describeWithPeer } from './peers';
import { freePorts } from './ports';
import { runCommand } from './processes';
import { useTempDirs } from './tmp';

describe('scripts/run-ts.mjs', () => {
  const tempDir = useTempDirs('run-ts');
  const runTs = path.join(repoRoot, 'scripts', 'run-ts.mjs');

  test('runs a TypeScript file with its arguments, @tributary/* resolved to the sources', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'helper.ts'), 'export const twice = (n: number): number => n * 2;\n');
    fs.writeFileSync(
      path.join(dir, 'main.ts'),
      [
        "import { Writer } from '@tributary/protocol';",
        "import { twice } from './helper';",
        'const bytes: Buffer = new Writer().int32(twice(21)).toBuffer();',
        "console.log(process.argv.slice(2).join(','), bytes.toString('hex'), require.resolve('@tributary/protocol'));",
      ].join('\n'),
    );
    const result = await runCommand(process.execPath, [runTs, path.join(dir, 'main.ts'), 'a', 'b']);
    expect(result.stderr).toBe('');
    const [args, hex, resolved] = result.stdout.trim().split(' ');
    expect(args).toBe('a,b');
    expect(hex).toBe('0000002a');
    expect(resolved).toBe(path.join(repoRoot, 'packages', 'protocol', 'src', 'index.ts'));
  });

  test('stack traces point at the TypeScript line', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'throws.ts'), 'type Unused = { a: number };\n\nthrow new Error("from line three");\n');
    const result = await runCommand(process.execPath, [runTs, path.join(dir, 'throws.ts')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('from line three');
    expect(result.stderr).toContain(`${path.join(dir, 'throws.ts')}:3`);
  });

  test('a missing file is a usage error, not a stack trace', async () => {
    const result = await runCommand(process.execPath, [runTs, 'no/such/file.ts']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no such file');
  });
});

describe('scripts/kafka-tool dispatch', () => {
  test('knows every tool the integration tests and benchmarks use', async () => {
    const result = await runKafkaTool('--list', []);
    expect(result.code).toBe(0);
    const tools = new Map(result.stdout.trim().split('\n').map((line) => line.split('\t') as [string, string]));
    for (const tool of [
      'kafka-topics', 'kafka-configs', 'kafka-console-producer', 'kafka-console-consumer', 'kafka-consumer-groups',
      'kafka-get-offsets', 'kafka-delete-records', 'kafka-log-dirs', 'kafka-dump-log', 'kafka-transactions',
      'kafka-verifiable-producer', 'kafka-verifiable-consumer', 'kafka-producer-perf-test', 'kafka-server-start',
      'zookeeper-shell',
    ]) {
      expect(tools.get(tool)).toMatch(/^(kafka|org\.apache)\./);
    }
    expect(tools.get('kafka-topics')).toBe('org.apache.kafka.tools.TopicCommand');
  });

  test('an unknown tool name is refused with a pointer to --list', async () => {
    const result = await runKafkaTool('kafka-no-such-tool.sh', []);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown tool 'kafka-no-such-tool.sh'");
  });
});

describeWithPeer('kafka-tools', 'scripts/kafka-tool runs', () => {
  test('a raw main class, as kafka-run-class.sh does', async () => {
    const result = await runKafkaTool('org.apache.kafka.tools.TopicCommand', ['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^3\.9\.\d+/);
  }, 30_000);

  test('every known main class is in the fetched jars', async () => {
    const result = await runKafkaTool('--check', [], { timeoutMs: 120_000 });
    expect(result.stdout).not.toContain('MISSING');
    expect(result.code).toBe(0);
  }, 130_000);
});

/** False once a process is gone or a zombie: in a container, pid 1 may never reap an orphan that was killed. */
function isRunning(pid: number): boolean {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

describe('helpers', () => {
  test('freePorts gives distinct ports that can be bound', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    const servers = await Promise.all(
      ports.map(
        (port) =>
          new Promise<net.Server>((resolve, reject) => {
            const server = net.createServer().once('error', reject);
            server.listen(port, '127.0.0.1', () => resolve(server));
          }),
      ),
    );
    expect(servers.map((server) => (server.address() as net.AddressInfo).port)).toEqual(ports);
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  test('runCommand kills the whole process group on timeout, grandchildren included', async () => {
    // The shell starts a background sleep (a grandchild of ours), prints its pid and waits for it.
    const result = await runCommand('sh', ['-c', 'sleep 30 & echo $!; wait'], { timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    const grandchild = Number(result.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(isRunning(grandchild)).toBe(false);
  });

  test('runCommand feeds stdin and separates stdout from stderr', async () => {
    const result = await runCommand('sh', ['-c', 'cat; echo oops >&2; exit 3'], { input: 'hello\n' });
    expect(result).toMatchObject({ code: 3, stdout: 'hello\n', stderr: 'oops\n', timedOut: false });
  });
});
