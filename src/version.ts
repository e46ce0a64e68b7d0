// The package version, read once; kept apart so the CLI can print it without loading the service.
import fs from 'node:fs';
import path from 'node:path';

export const SERVICE_VERSION: string = (
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version;
