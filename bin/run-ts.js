#!/usr/bin/env node
// Runs a TypeScript file through tsx, no build step: `node bin/run-ts.js <file.ts> [args…]` (npm run bench).
'use strict';
require('tsx/cjs/api').register();
require(require('node:path').resolve(process.argv[2]));
