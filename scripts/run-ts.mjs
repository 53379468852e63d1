#!/usr/bin/env node
// Runs one TypeScript file with Node, compiled on the fly by SWC (the compiler Jest already uses here):
//
//   node scripts/run-ts.mjs <file.ts> [args...]
//
// Why a small hook of our own rather than a register package: it needs nothing beyond @swc/core, compiles to
// CommonJS with the same settings as jest.config.js, and resolves `@tributary/<pkg>` to
// `packages/<pkg>/src/index.ts` exactly as Jest's moduleNameMapper does. A script therefore runs the sources
// as they are now, with no `tsc -b` first and no stale `dist/` to trip over. Type checking stays `tsc -b`'s job.
import Module, { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const requireFromRepo = createRequire(path.join(repoRoot, 'package.json'));
const workspacePackage = /^@tributary\/([a-z0-9-]+)$/;

/** Installs the `.ts` loader and the workspace mapping into Node's CommonJS loader; safe to call twice. */
export function registerTypeScript() {
  if (Module._extensions['.ts']) return;
  const swc = requireFromRepo('@swc/core');
  const options = (filename) => ({
    filename,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: { target: 'es2022', parser: { syntax: 'typescript' }, keepClassNames: true },
  });
  Module._extensions['.ts'] = (module, filename) => {
    const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), options(filename));
    module._compile(code, filename);
  };
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function resolveWorkspace(request, parent, ...rest) {
    const match = workspacePackage.exec(request);
    if (match) {
      const source = path.join(repoRoot, 'packages', match[1], 'src', 'index.ts');
      if (fs.existsSync(source)) return source;
    }
    return resolveFilename.call(this, request, parent, ...rest);
  };
  // Stack traces then name lines of the .ts file, through the inline source maps above.
  process.setSourceMapsEnabled(true);
}

function main() {
  const [file, ...args] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node scripts/run-ts.mjs <file.ts> [args...]');
    process.exit(2);
  }
  const entry = path.resolve(file);
  if (!fs.existsSync(entry)) {
    console.error(`run-ts: no such file: ${file}`);
    process.exit(2);
  }
  registerTypeScript();
  // The script sees itself as argv[1] and its own arguments after it, as with `node file.js args`.
  process.argv = [process.argv[0], entry, ...args];
  createRequire(entry)(entry);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
