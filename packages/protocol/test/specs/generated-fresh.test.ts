/** Regenerating from protocol-specs/ must change nothing: the committed generated code is the specs' output. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateAll } from '../../generator/generate-all';

const repoRoot = path.resolve(__dirname, '../../../..');
const generatedDir = path.join(repoRoot, 'packages/protocol/src/generated');

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
}

test('src/generated is exactly what `npm run generate` produces', () => {
  const expected = generateAll(path.join(repoRoot, 'protocol-specs'));
  const actual = new Map(listFiles(generatedDir).map((file) => [path.relative(generatedDir, file).split(path.sep).join('/'), fs.readFileSync(file, 'utf8')]));
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  const stale = [...expected].filter(([file, content]) => actual.get(file) !== content).map(([file]) => file);
  expect(stale).toEqual([]);
});
