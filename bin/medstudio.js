#!/usr/bin/env node
// The CLI is bundled by `npm run build` (run automatically by `npm ci` through `prepare`).
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write("medstudio: the CLI is not built yet; run 'npm run build' in " + path.dirname(__dirname) + '\n');
  process.exit(1);
}
require(cli);
