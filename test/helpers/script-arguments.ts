// Command lines of the scripts run through bin/run-ts.js (npm run soak, npm run fuzz).
import { InvalidArgumentError, type Command } from 'commander';

/** A commander parser for options that take a positive whole number. */
export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('a positive whole number');
  return parsed;
}

/** Parses the user's arguments: argv is node, bin/run-ts.js, the script, then those. */
export function parseScriptArguments(program: Command): void {
  program.parse(process.argv.slice(3), { from: 'user' });
}
