#!/usr/bin/env node
// Runs every benchmark, `packages/*/bench/*.bench.ts`, one after another so that they do not compete for the
// machine's two cores, each in a fresh Node process (through scripts/run-ts.mjs) so that one benchmark's heap
// and JIT state do not colour the next one's figures. Benchmarks print their own figures; this prints which
// file ran, how long it took and whether it failed.
//
//   npm run bench                    all benchmarks
//   npm run bench -- records crc     only files whose path contains one of these words
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runTs = path.join(repoRoot, 'scripts', 'run-ts.mjs');
const filters = process.argv.slice(2);

function benchFiles() {
  const packagesDir = path.join(repoRoot, 'packages');
  const files = [];
  for (const pkg of fs.readdirSync(packagesDir).sort()) {
    const benchDir = path.join(packagesDir, pkg, 'bench');
    if (!fs.existsSync(benchDir)) continue;
    for (const name of fs.readdirSync(benchDir).sort()) {
      if (name.endsWith('.bench.ts')) files.push(path.join('packages', pkg, 'bench', name));
    }
  }
  return files.filter((file) => filters.length === 0 || filters.some((word) => file.includes(word)));
}

const files = benchFiles();
if (files.length === 0) {
  console.log(filters.length ? `bench: no benchmark matches ${filters.join(', ')}` : 'bench: no packages/*/bench/*.bench.ts yet');
  process.exit(0);
}

const results = [];
for (const file of files) {
  console.log(`\n=== ${file}`);
  const startedNs = process.hrtime.bigint();
  // --expose-gc lets a benchmark settle the heap between rounds when it wants to.
  const run = spawnSync(process.execPath, ['--expose-gc', runTs, file], { cwd: repoRoot, stdio: 'inherit' });
  const seconds = Number(process.hrtime.bigint() - startedNs) / 1e9;
  const ok = run.status === 0;
  results.push({ file, ok, seconds, why: run.signal ? `killed by ${run.signal}` : `exit code ${run.status}` });
}

console.log('\n=== bench summary');
for (const { file, ok, seconds, why } of results) {
  console.log(`${ok ? 'ok  ' : 'FAIL'}  ${file}  (${seconds.toFixed(1)} s${ok ? '' : `, ${why}`})`);
}
const failed = results.filter((result) => !result.ok).length;
console.log(`bench: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
