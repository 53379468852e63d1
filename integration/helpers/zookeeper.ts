import net from 'node:net';
import { requirePeer, zookeeperJar } from './peers';
import { freePort, waitForPort } from './ports';
import { startProcess, type ManagedProcess } from './processes';
import { makeTempDir, removeTempDir } from './tmp';

export interface ZooKeeperServer {
  port: number;
  /** For a ZooKeeper client: `127.0.0.1:<port>`. */
  connectString: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts a standalone ZooKeeper server (Debian's zookeeper package) on a free loopback port with its data in a
 * fresh temp dir, removed again by stop(). The `srvr` and `ruok` four-letter words are enabled so that tests
 * can ask the server about itself without a client library.
 */
export async function startZooKeeper(): Promise<ZooKeeperServer> {
  requirePeer('zookeeper');
  const port = await freePort();
  const dataDir = makeTempDir('zookeeper');
  const server = startProcess(
    'java',
    [
      '-Xmx256M',
      '-Dzookeeper.4lw.commands.whitelist=srvr,ruok',
      // The admin HTTP server would take port 8080, shared by every test run on the machine.
      '-Dzookeeper.admin.enableServer=false',
      '-cp',
      zookeeperJar,
      'org.apache.zookeeper.server.ZooKeeperServerMain',
      String(port),
      dataDir,
    ],
    { description: `ZooKeeper on port ${port}` },
  );
  const stop = async () => {
    await server.stop();
    removeTempDir(dataDir);
  };
  try {
    await waitForPort(port, { timeoutMs: 30_000 });
    await waitUntilServing(port, 30_000);
  } catch (error) {
    await stop();
    throw new Error(`ZooKeeper did not start: ${(error as Error).message}\n${server.log}`);
  }
  return { port, connectString: `127.0.0.1:${port}`, process: server, stop };
}

/** Sends one four-letter word (e.g. `srvr`) to a ZooKeeper server and returns its whole answer. */
export function zooKeeperFourLetterWord(port: number, word: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer to ${word} in ${timeoutMs} ms`)));
    socket.once('connect', () => socket.end(word));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** The port opens before the server has loaded its database; until then it answers every request with a refusal. */
async function waitUntilServing(port: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const answer = await zooKeeperFourLetterWord(port, 'srvr').catch((error: Error) => error.message);
    if (answer.startsWith('Zookeeper version:')) return;
    if (performance.now() > deadline) throw new Error(`ZooKeeper on port ${port} is not serving after ${timeoutMs} ms: ${answer}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
