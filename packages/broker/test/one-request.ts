/**
 * One request to a running broker over a fresh connection, its response decoded: for tests of a whole Broker
 * (the in-process harness calls handlers without a socket).
 */
import net from 'node:net';
import { ApiKey, ApiMessages, decodeResponseFrame, encodeRequestFrame } from '@tributary/protocol';

export async function askBroker<K extends ApiKey>(port: number, apiKey: K, version: number, request: ApiMessages[K]['request']): Promise<ApiMessages[K]['response']> {
  const socket = net.connect(port, '127.0.0.1');
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(encodeRequestFrame(apiKey, version, 7, 'broker-test', request));
    let buffered = Buffer.alloc(0);
    const frame = await new Promise<Buffer>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) resolve(buffered.subarray(4, 4 + buffered.readInt32BE(0)));
      });
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('connection closed before the response')));
    });
    return decodeResponseFrame(apiKey, version, frame).response;
  } finally {
    socket.destroy();
  }
}
