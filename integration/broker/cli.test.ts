/**
 * The `tributary` command as a user meets it: help, a clear refusal of invalid settings with a non-zero exit,
 * a warning for unknown keys, and the start line saying where it listens and where data lives.
 */
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths';
import { runCommand } from '../helpers/processes';
import { useTempDirs } from '../helpers/tmp';
import { TributaryProcess, cliMain } from './tributary-process';

const tempDir = useTempDirs('broker-cli');

test('--help describes start and its options, for the root and for start', async () => {
  for (const args of [['--help'], ['start', '--help']]) {
    const result = await runCommand(process.execPath, [cliMain, ...args], { timeoutMs: 20_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--override');
    expect(result.stdout).toContain('server.properties');
  }
});

test('npx tributary works from the repository root', async () => {
  const result = await runCommand('npx', ['--no-install', 'tributary', '--version'], { cwd: repoRoot, timeoutMs: 30_000 });
  expect(result.code).toBe(0);
  expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
});

test('invalid values stop the start with a message naming each key and what it expects', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'server.properties');
  fs.writeFileSync(file, 'num.partitions=many\nlog.segment.bytes=10\n');
  const result = await runCommand(process.execPath, [cliMain, 'start', file, '--override', `log.dirs=${dir}`], { timeoutMs: 20_000 });
  expect(result.code).toBe(1);
  expect(result.stderr).toBe(
    `tributary: invalid configuration in ${file} or --override:\n` +
      '  Invalid value many for configuration num.partitions: Not a number of type INT\n' +
      '  Invalid value 10 for configuration log.segment.bytes: Value must be at least 14\n',
  );
});

test('an unknown key is a warning naming it; the start line says where the broker listens and where data lives', async () => {
  const dir = tempDir();
  const broker = await TributaryProcess.start(dir, ['some.plugin.setting=1']);
  try {
    expect(broker.process.log).toContain('"key":"some.plugin.setting"');
    expect(broker.process.log).toContain(`data in ${dir}`);
    expect(fs.readFileSync(path.join(dir, 'meta.properties'), 'utf8')).toMatch(/^#\n#.*\nversion=0\nbroker.id=1001\ncluster.id=[A-Za-z0-9_-]{22}\n$/);
  } finally {
    expect(await broker.stop()).toBe(0);
  }
});

test('a malformed listener stops the start with a message saying what form it must have', async () => {
  const dir = tempDir();
  const result = await runCommand(process.execPath, [cliMain, 'start', '--override', 'listeners=localhost:9092', '--override', `log.dirs=${dir}`], { timeoutMs: 20_000 });
  expect(result.code).toBe(1);
  expect(result.stdout + result.stderr).toContain('listeners: \\"localhost:9092\\" is not of the form NAME://host:port');
});

test('a broker whose log reader goes away while it shuts down still exits', async () => {
  // The reader of stdout (a pipe to a supervisor, `| tee`) dies mid-shutdown: the last log lines meet a closed
  // pipe. Pino's own buffered destination retried such a write for ever in its exit flush, and the process
  // never exited.
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [cliMain, 'start', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${tempDir()}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('listening on')) {
          seen = '';
          child.kill('SIGTERM');
        }
        // The reader goes away as soon as the shutdown begins, before the broker logs that it is done.
        if (seen.includes('shutting down')) {
          child.stdout.destroy();
          resolve();
        }
      });
      child.once('exit', () => reject(new Error('exited before it logged its shutdown')));
    });
    const outcome = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000))]);
    expect(outcome).toBe(0);
  } finally {
    child.kill('SIGKILL');
  }
}, 60_000);
