#!/usr/bin/env node
// Entry point of the `did-notary` command: runs the TypeScript sources through tsx, no build step.
'use strict';
require('tsx/cjs/api').register();
require('../src/cli/main.ts');
