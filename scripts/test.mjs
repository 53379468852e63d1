#!/usr/bin/env node
// `npm test`: everything a fresh clone needs to prove itself, in order, stopping at the first broken step.
//   1. npm ci, when node_modules is missing or does not match package-lock.json
//   2. tsc -b: type check and build of every package (project references); then tsc -p tsconfig.tests.json,
//      which type-checks the tests, benchmarks and generator that SWC runs unchecked
//   3. Jest, both projects (unit and integration), at most two workers: the machines have two cores
// Arguments after `npm test --` go to Jest (e.g. `npm test -- --selectProjects unit`, or a path pattern).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJson, whyInstall } from './dependencies.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jestArgs = process.argv.slice(2);
const steps = [];

function run(title, command, args, options = {}) {
  console.log(`\n▶ ${title}: ${[command, ...args].join(' ')}`);
  const startedMs = performance.now();
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit', ...options });
  const seconds = (performance.now() - startedMs) / 1000;
  const ok = result.status === 0;
  const why = result.error ? result.error.message : result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`;
  steps.push({ title, ok, seconds, why });
  return ok;
}

function summarize(jestReport) {
  console.log('\n══ npm test summary');
  for (const { title, ok, seconds, why } of steps) {
    console.log(`${ok ? 'ok  ' : 'FAIL'}  ${title}  (${seconds.toFixed(1)} s${ok ? '' : `, ${why}`})`);
  }
  if (jestReport) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, numFailedTestSuites, numTotalTestSuites } = jestReport;
    console.log(`      ${numTotalTestSuites} test files, ${numFailedTestSuites} failed`);
    // Name what failed at the end, where it is seen, instead of leaving it to a scroll through Jest's output.
    for (const file of jestReport.testResults ?? []) {
      if (file.status !== 'failed') continue;
      console.log(`      FAIL ${path.relative(repoRoot, file.name)}`);
      const failedTests = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
      for (const test of failedTests.slice(0, 5)) console.log(`           ✕ ${test.fullName}`);
      if (failedTests.length > 5) console.log(`           … and ${failedTests.length - 5} more`);
      if (failedTests.length === 0 && file.message) console.log(`           ${file.message.split('\n').find((line) => line.trim()) ?? ''}`);
    }
    // The closing line, in the form CI tooling reads: "N passed, N failed, N skipped".
    console.log(`tests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped`);
  }
}

function main() {
  const reason = whyInstall(repoRoot);
  if (reason) {
    if (!run(`install dependencies (${reason})`, 'npm', ['ci', '--no-audit', '--no-fund'])) return finish(1);
  } else {
    console.log('▶ dependencies: node_modules matches package-lock.json');
  }

  const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
  if (!run('type check and build', process.execPath, [tsc, '-b'])) {
    console.log('  (Jest not run: fix the build first)');
    return finish(1);
  }
  // Tests, benchmarks and the generator run through SWC, which does not check types: check them here.
  if (!run('type check tests and benchmarks', process.execPath, [tsc, '-p', 'tsconfig.tests.json'])) {
    console.log('  (Jest not run: fix the type errors first)');
    return finish(1);
  }

  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-jest-'));
  const reportFile = path.join(reportDir, 'report.json');
  const jestOk = run('jest', process.execPath, [
    path.join(repoRoot, 'node_modules/jest/bin/jest.js'),
    '--ci',
    '--maxWorkers=2',
    '--json',
    `--outputFile=${reportFile}`,
    ...jestArgs,
  ]);
  const report = readJson(reportFile);
  fs.rmSync(reportDir, { recursive: true, force: true });
  return finish(jestOk ? 0 : 1, report);
}

function finish(code, jestReport) {
  summarize(jestReport);
  console.log(code === 0 ? 'npm test: all steps passed' : 'npm test: FAILED');
  process.exit(code);
}

main();
