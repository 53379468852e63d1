import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A new, empty directory under the system's temp dir; the label shows up in its name for debugging. */
export function makeTempDir(label = 'test'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tributary-${label}-`));
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * For a test file: returns a function that makes temp dirs, all removed after the file's last test.
 * Call it at the top level of a describe block (it registers an afterAll hook).
 */
export function useTempDirs(label = 'test'): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) removeTempDir(dir);
  });
  return () => {
    const dir = makeTempDir(label);
    made.push(dir);
    return dir;
  };
}

/** Runs fn with a fresh temp dir and removes the dir afterwards, whether fn succeeds or throws. */
export async function withTempDir<T>(label: string, fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = makeTempDir(label);
  try {
    return await fn(dir);
  } finally {
    removeTempDir(dir);
  }
}
