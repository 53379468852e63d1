/**
 * Compares protocol-specs/ with Kafka 3.9's own message definitions, field by field and version by version:
 * names, types, version ranges, nullability, tags, defaults and the message-level attributes. Reads
 * ../shared/kafka-reference (present beside the project in CI); skips with a reason where it is absent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadSpecs, parseErrorSpec } from '../../generator/generate-all';
import { parseKafkaJson } from '../../generator/kafka-json';
import { FieldSpec, MessageSpec, formatRange } from '../../generator/spec-model';

const repoRoot = path.resolve(__dirname, '../../../..');
const referenceDir = path.resolve(repoRoot, '../shared/kafka-reference');
const haveReference = fs.existsSync(path.join(referenceDir, 'messages'));

if (!haveReference) {
  // A user's clone has no ../shared: skip, saying why. CI always has it, so there its absence is a failure.
  if (process.env.CI === 'true') {
    test('the Kafka reference folder is present in CI', () => {
      throw new Error(`${referenceDir} is missing: CI must have ../shared beside the project`);
    });
  } else {
    // eslint-disable-next-line no-console
    console.warn(`skipping the reference comparison: ${referenceDir} is absent (it sits beside the project in CI)`);
  }
}

// describe.skip still runs its callback to collect tests, so nothing in the body may touch the folder then.
const describeWithReference = haveReference ? describe : describe.skip;

/** A flat, comparable description of a message: one line per message attribute and per field. */
function describeMessage(message: MessageSpec): string[] {
  const lines = [
    `${message.kind} ${message.name} key=${message.apiKey ?? '-'} versions=${formatRange(message.validVersions)}` +
      ` flexible=${formatRange(message.flexibleVersions)} deprecated=${message.deprecatedVersions ? formatRange(message.deprecatedVersions) : '-'}` +
      ` unstable=${message.latestVersionUnstable} listeners=${(message.listeners ?? []).join(',')}`,
  ];
  const walk = (fields: FieldSpec[], prefix: string): void => {
    for (const field of fields) {
      lines.push(
        `${prefix}${field.name}: ${field.type} versions=${formatRange(field.versions)}` +
          ` nullable=${formatRange(field.nullableVersions)} default=${field.defaultValue ?? '-'}` +
          ` tag=${field.tag ?? '-'} tagged=${formatRange(field.taggedVersions)} entity=${field.entityType ?? '-'}` +
          ` mapKey=${field.mapKey} ignorable=${field.ignorable} zeroCopy=${field.zeroCopy}` +
          ` flexible=${field.flexibleVersions ? formatRange(field.flexibleVersions) : '-'}`,
      );
      if (field.fields) walk(field.fields, `${prefix}${field.name}.`);
    }
  };
  walk(message.fields, '');
  for (const struct of message.commonStructs) {
    lines.push(`common ${struct.name} versions=${formatRange(struct.versions)}`);
    walk(struct.fields, `${struct.name}.`);
  }
  return lines;
}

function readReference(dir: string): Map<string, MessageSpec> {
  const out = new Map<string, MessageSpec>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const spec = parseKafkaJson(fs.readFileSync(path.join(dir, file), 'utf8'), file);
    out.set(spec.name, spec);
  }
  return out;
}

describeWithReference("protocol-specs match Kafka 3.9's definitions", () => {
  const ours = new Map<string, MessageSpec>();
  for (const messages of loadSpecs(path.join(repoRoot, 'protocol-specs')).values()) {
    for (const message of messages) ours.set(message.name, message);
  }
  const theirs = new Map<string, MessageSpec>(
    haveReference
      ? [
          ...readReference(path.join(referenceDir, 'messages')),
          ...readReference(path.join(referenceDir, 'records/group-coordinator')),
          ...readReference(path.join(referenceDir, 'records/transaction-coordinator')),
        ]
      : [],
  );

  test('the same set of messages', () => {
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
  });

  test.each([...theirs.keys()].sort())('%s: every field, version range, nullability and tag', (name) => {
    const mine = ours.get(name);
    expect(mine).toBeDefined();
    expect(describeMessage(mine as MessageSpec)).toEqual(describeMessage(theirs.get(name) as MessageSpec));
  });

  test('the error table has every code with its name and retriability', () => {
    const reference = JSON.parse(fs.readFileSync(path.join(referenceDir, 'errors.json'), 'utf8')) as Array<{
      code: number;
      name: string;
      retriable: boolean;
    }>;
    const mine = parseErrorSpec(fs.readFileSync(path.join(repoRoot, 'protocol-specs/errors.tspec'), 'utf8'));
    expect(mine).toEqual(reference.map(({ code, name, retriable }) => ({ code, name, retriable })));
  });
});
