// Builds the native addon (native/addon.c, native/crc32c.c) when the package is installed. A failed build is not an
// install failure: storage then checks CRCs with fast-crc32c, validates appends in JavaScript and writes through
// fs.writeSync, slower with the same results.
// npm hands install scripts its bundled node-gyp and its configured `nodedir`, so this works offline.
const { spawnSync } = require('child_process');
const path = require('path');

const packageDir = path.join(__dirname, '..');
const nodeGyp = process.env.npm_config_node_gyp;
const command = nodeGyp ? [process.execPath, [nodeGyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const result = spawnSync(command[0], command[1], { cwd: packageDir, stdio: 'inherit' });
if (result.status !== 0) {
  console.warn('@tributary/storage: native addon not built; CRC-32C falls back to fast-crc32c, append validation to JavaScript and writes to fs.writeSync');
}
