#!/usr/bin/env node
// `npm start`: starts a broker from a fresh clone in one command. Installs the npm dependencies when
// node_modules is missing or stale, builds (tsc -b, incremental: quick when nothing changed), then runs the
// `tributary` command with the arguments given after `--` (none: a broker on localhost:9092, data in ./data).
//   npm start
//   npm start -- start config/server.properties --override log.dirs=/var/lib/tributary
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { whyInstall } from './dependencies.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function step(title, command, args) {
  console.error(`tributary: ${title}`);
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    console.error(`tributary: ${title} failed (${result.error?.message ?? `exit code ${result.status}`}); see the output above`);
    process.exit(1);
  }
}

const reason = whyInstall(repoRoot);
if (reason) step(`installing dependencies (${reason})`, 'npm', ['ci', '--no-audit', '--no-fund']);
step('building', process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b']);

const broker = spawn(process.execPath, [path.join(repoRoot, 'packages/cli/dist/main.js'), ...process.argv.slice(2)], {
  cwd: process.cwd(),
  stdio: 'inherit',
});
// The broker shuts down cleanly on SIGTERM/SIGINT; pass them on, and leave with its exit code.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => broker.kill(signal));
broker.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
