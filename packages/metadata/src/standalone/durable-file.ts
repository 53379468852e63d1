/**
 * Replaces a small file so that after a crash it holds either the old or the new content, never a mix: write
 * a temp file beside it, fsync it, rename it over the target, fsync the directory so the rename itself is
 * durable.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export async function writeFileDurably(file: string, content: string | Buffer): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await fs.open(temp, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
  await syncDirectory(path.dirname(file));
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function readFileIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
