// `npm run fuzz -- --requests 20000 [--seed N]`: the contract fuzz of test/http/contract-fuzz.test.ts
// for a number of requests instead of `npm test`'s 30 seconds.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Command } from 'commander';
import { parseScriptArguments, positiveInteger } from '../helpers/script-arguments';

const program = new Command('fuzz')
  .description('sends generated requests from openapi.yaml to a real service and checks every answer against the contract')
  .option('--requests <n>', 'how many requests', positiveInteger, 20_000)
  .option('--seed <n>', 'fast-check seed (the same seed sends the same requests)', positiveInteger, 20261203);
parseScriptArguments(program);
const { requests, seed } = program.opts<{ requests: number; seed: number }>();

const root = path.join(__dirname, '..', '..');
const result = spawnSync(process.execPath, [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/http/contract-fuzz.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FUZZ_REQUESTS: String(requests), FUZZ_SEED: String(seed), FUZZ_TIME_LIMIT_MS: '0' },
});
process.exitCode = result.status ?? 1;
