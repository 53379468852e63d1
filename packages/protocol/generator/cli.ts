/**
 * `npm run generate`: regenerates `packages/protocol/src/generated/` from `protocol-specs/`. The output is
 * committed; a unit test fails when regenerating would change it. `--check` only reports differences.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateAll } from './generate-all';

const repoRoot = path.resolve(__dirname, '../../..');
const specsDir = path.join(repoRoot, 'protocol-specs');
const outDir = path.join(repoRoot, 'packages/protocol/src/generated');

function main(): void {
  const check = process.argv.includes('--check');
  const files = generateAll(specsDir);
  const stale: string[] = [];
  for (const [relative, content] of files) {
    const target = path.join(outDir, relative);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    if (current === content) continue;
    stale.push(relative);
    if (!check) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
    }
  }
  const expected = new Set(files.keys());
  const walk = (dir: string): string[] =>
    fs.existsSync(dir)
      ? fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]))
      : [];
  for (const file of walk(outDir)) {
    const relative = path.relative(outDir, file).split(path.sep).join('/');
    if (expected.has(relative)) continue;
    stale.push(`${relative} (no longer generated)`);
    if (!check) fs.unlinkSync(file);
  }
  if (check && stale.length > 0) {
    console.error(`generated code is stale; run \`npm run generate\`:\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  console.log(stale.length === 0 ? `generated code is up to date (${files.size} files)` : `regenerated ${stale.length} of ${files.size} files`);
}

main();
