import path from 'node:path';
import { repoRoot } from '../helpers/paths';
import { ManagedProcess, startProcess } from '../helpers/processes';

export const cliMain = path.join(repoRoot, 'packages', 'cli', 'dist', 'main.js');

/** A Tributary broker started as a user starts it: `node packages/cli/dist/main.js start --override ...`. */
export class TributaryProcess {
  private constructor(
    readonly process: ManagedProcess,
    readonly host: string,
    readonly port: number,
  ) {}

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  /**
   * Starts a broker on an ephemeral port of 127.0.0.1 with its data in `logDir` and waits for its start line,
   * which says where it listens.
   */
  static async start(logDir: string, overrides: readonly string[] = []): Promise<TributaryProcess> {
    const args = [cliMain, 'start', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${logDir}`];
    for (const override of overrides) args.push('--override', override);
    const process = startProcess(globalThis.process.execPath, args, { description: 'tributary' });
    const match = await process.waitForOutput(/"msg":"Tributary broker \d+ listening on ([^:,]+):(\d+)/);
    return new TributaryProcess(process, match[1], Number(match[2]));
  }

  /** SIGTERM, and wait for the exit; returns the exit code. */
  async stop(): Promise<number | null> {
    await this.process.stop(15_000);
    return this.process.child.exitCode;
  }

  /** SIGKILL: no shutdown at all, as a crash or power loss would leave it. */
  async kill(): Promise<void> {
    const exited = new Promise((resolve) => this.process.child.once('exit', resolve));
    if (!this.process.hasExited) process.kill(this.process.child.pid as number, 'SIGKILL');
    await exited;
  }
}
