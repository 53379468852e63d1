// Shared by `npm test` and `npm start`: whether node_modules matches package-lock.json, so a fresh clone can run
// either command by itself.
import fs from 'node:fs';
import path from 'node:path';

export function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Says why node_modules needs `npm ci`, or returns undefined when it matches the lock file. npm keeps a record of
 * what it installed in node_modules/.package-lock.json; every package the lock file requires must be there at
 * the locked version. Optional packages (other platforms' native builds) may be absent, but not at another version.
 */
export function whyInstall(repoRoot) {
  const lock = readJson(path.join(repoRoot, 'package-lock.json'));
  if (!lock) return 'package-lock.json is missing or unreadable';
  const installed = readJson(path.join(repoRoot, 'node_modules', '.package-lock.json'));
  if (!installed) return 'node_modules is missing';
  for (const [where, locked] of Object.entries(lock.packages ?? {})) {
    if (!where.startsWith('node_modules/')) continue;
    const present = installed.packages?.[where];
    if (!present) {
      if (locked.optional) continue;
      return `${where} is not installed`;
    }
    if (!locked.link && present.version !== locked.version) {
      return `${where} is ${present.version}, the lock file wants ${locked.version}`;
    }
  }
  return undefined;
}
