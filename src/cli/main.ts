// The `did-notary` command: serve the API, manage API keys, and (for individuals) hash and verify.
import { Command, CommanderError } from 'commander';
import { registerCredentialCommands } from './credential';
import { registerDeployCommand } from './deploy';
import { registerDidCommands } from './did';
import { registerDocumentCommands } from './documents';
import { registerKeysCommand } from './keys';
import { registerMonitorCommand } from './monitor';
import { registerReceiptCommands } from './receipts';
import { registerServeCommand } from './serve';
import { registerVerifyCommand } from './verify';
import { registerVerifyTsrCommand } from './verify-tsr';
import { registerWalletCommands } from './wallets';
import { SERVICE_VERSION } from '../version';

/** Exit codes shared by every subcommand. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('did-notary')
    .description('Notarize documents on an EVM chain and issue DID-signed credentials.')
    .version(SERVICE_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerServeCommand(program);
  registerKeysCommand(program);
  registerDocumentCommands(program);
  registerVerifyCommand(program);
  registerReceiptCommands(program);
  registerVerifyTsrCommand(program);
  registerMonitorCommand(program);
  registerDeployCommand(program);
  registerCredentialCommands(program);
  registerDidCommands(program);
  registerWalletCommands(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; usage errors exit 2 (commander already printed the message).
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.stderr.write(`did-notary: ${(error as Error).message}\n`);
    process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
  }
}

void main(process.argv);
