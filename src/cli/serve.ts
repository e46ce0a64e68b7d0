// `did-notary serve`: runs the service until SIGINT/SIGTERM, then stops it gracefully.
import type { Command } from 'commander';
import { installRequestBoundary } from '../http/request-boundary';
import { createLogger } from '../platform/observability/logger';
import { addSettingOptions, configFromCommand } from './settings-options';

export function registerServeCommand(program: Command): void {
  const serve = program
    .command('serve')
    .description('run the HTTP service (embedded chain and database unless RPC_URL / DATABASE_URL are set)')
    .addHelpText('after', '\nEvery flag can also be given as the environment variable named in its description.');
  addSettingOptions(serve).action(async (options: Record<string, unknown>) => {
    const config = configFromCommand(options);
    const logger = createLogger(config.logLevel);
    // From here on, an error that escapes a request fails that request, not the process.
    installRequestBoundary(logger);
    // Loaded only now, so that --help and configuration errors answer instantly.
    const { startService } = require('../service') as typeof import('../service');
    let service: Awaited<ReturnType<typeof startService>>;
    try {
      service = await startService(config, logger);
    } catch (error) {
      logger.fatal({ err: error }, 'could not start');
      logger.flush();
      process.stderr.write(`did-notary: could not start: ${(error as Error).message}\n`);
      process.exit(1);
    }
    if (service.createdAdminKey) {
      process.stderr.write(
        `\nAdmin API key (shown once; also saved to ${config.dataDir}/admin-api-key, mode 0600):\n  ${service.createdAdminKey}\n\n`,
      );
    }
    process.stderr.write(`did-notary listening on ${service.url}  (chain ${service.info.chain}, DID ${service.info.did})\n`);
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      service
        .stop()
        .then(() => {
          logger.info('stopped');
          logger.flush();
          process.exit(0);
        })
        .catch((error: unknown) => {
          logger.error({ err: error }, 'unclean stop');
          logger.flush();
          process.exit(1);
        });
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  });
}
