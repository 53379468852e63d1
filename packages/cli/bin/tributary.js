#!/usr/bin/env node
// The `tributary` executable. It stays in git with its executable bit, so that `npx tributary` works after
// `npm install` and `npm run build` in a fresh clone (the compiled dist/ is created later and has no such bit).
require('../dist/main.js').runCli(process.argv.slice(2));
