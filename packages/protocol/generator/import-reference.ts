/**
 * Seeds `protocol-specs/` from Kafka's reference message definitions (`../shared/kafka-reference`), converting
 * them into our own `.tspec` format. Run it when Kafka publishes new versions, then review the diff: the specs in
 * the repository are ours and may carry deliberate differences, which the comparison test makes visible.
 *
 *     node scripts/run-ts.mjs packages/protocol/generator/import-reference.ts [referenceDir]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseKafkaJson } from './kafka-json';
import { apiSpecFileName, kebabCase } from './naming';
import { formatSpecFile } from './spec-format';
import { MessageSpec } from './spec-model';

const repoRoot = path.resolve(__dirname, '../../..');
const specsDir = path.join(repoRoot, 'protocol-specs');

function readAll(dir: string): Array<{ file: string; spec: MessageSpec }> {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ file: name, spec: parseKafkaJson(fs.readFileSync(path.join(dir, name), 'utf8'), name) }));
}

function write(relative: string, messages: MessageSpec[], comment: string[]): void {
  const target = path.join(specsDir, relative);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, formatSpecFile(messages, comment));
}

function main(): void {
  const referenceDir = path.resolve(process.argv[2] ?? path.join(repoRoot, '../shared/kafka-reference'));
  const messages = readAll(path.join(referenceDir, 'messages'));

  const byKey = new Map<number, MessageSpec[]>();
  for (const { spec } of messages) {
    if (spec.kind === 'request' || spec.kind === 'response') {
      const list = byKey.get(spec.apiKey as number) ?? [];
      list.push(spec);
      byKey.set(spec.apiKey as number, list);
    } else if (spec.kind === 'data') {
      write(`data/${kebabCase(spec.name)}.tspec`, [spec], [`${spec.name}: a struct carried inside other messages.`]);
    }
  }
  for (const [apiKey, pair] of byKey) {
    pair.sort((a, b) => (a.kind === 'request' ? -1 : b.kind === 'request' ? 1 : 0));
    write(`apis/${apiSpecFileName(apiKey, pair[0].name)}`, pair, [`API key ${apiKey}: ${pair.map((m) => m.name).join(' / ')}.`]);
  }
  const headers = messages.filter(({ spec }) => spec.kind === 'header').map(({ spec }) => spec);
  headers.sort((a, b) => a.name.localeCompare(b.name));
  write('headers.tspec', headers, ['Request and response headers.']);

  for (const group of ['group-coordinator', 'transaction-coordinator']) {
    for (const { spec } of readAll(path.join(referenceDir, 'records', group))) {
      write(`records/${group}/${kebabCase(spec.name)}.tspec`, [spec], [`${spec.name}: a record of an internal topic.`]);
    }
  }

  const errors = JSON.parse(fs.readFileSync(path.join(referenceDir, 'errors.json'), 'utf8')) as Array<{
    code: number;
    name: string;
    retriable: boolean;
  }>;
  const errorLines = ['# Kafka protocol error codes: code, name, and whether a client may retry.', ''];
  for (const error of errors) errorLines.push(`${error.code} ${error.name} ${error.retriable ? 'retriable' : 'fatal'}`);
  fs.writeFileSync(path.join(specsDir, 'errors.tspec'), errorLines.join('\n') + '\n');
  console.log(`wrote ${byKey.size} APIs, ${headers.length} headers and the error table into ${specsDir}`);
}

main();
