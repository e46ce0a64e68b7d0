#!/usr/bin/env node
// Entry point of the `did-notary` command: runs the TypeScript sources through tsx, no build step.
// The command (the service and its CLI) runs from a checkout of the repository; the npm package holds
// only the library (dist/), so there it says so instead of failing on a missing file.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const main = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
if (!fs.existsSync(main)) {
  process.stderr.write(
    'did-notary: this installation holds the library only (import from "did-notary", "did-notary/client", "did-notary/ethers").\n' +
      'The did-notary command and service run from a checkout of the repository: npm install && npm start there.\n',
  );
  process.exit(2);
}
require('tsx/cjs/api').register();
require(main);
