// Hardhat is used only to compile contracts/ into artifacts/; it must work offline, so the
// compiler comes from the pinned `solc` npm package instead of Hardhat's download.
import path from 'node:path';
import { subtask, type HardhatUserConfig } from 'hardhat/config';
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from 'hardhat/builtin-tasks/task-names';

const SOLC_VERSION = '0.8.28';

interface SolcBuild {
  compilerPath: string;
  isSolcJs: boolean;
  version: string;
  longVersion: string;
}

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(
  async ({ solcVersion }: { solcVersion: string }): Promise<SolcBuild> => {
    const { version: packagedVersion } = require('solc/package.json') as { version: string };
    if (solcVersion !== SOLC_VERSION || packagedVersion !== SOLC_VERSION) {
      throw new Error(
        `Offline compile needs solc ${solcVersion} from npm, but the solc package is ` +
          `${packagedVersion} (config pins ${SOLC_VERSION}); keep package.json and hardhat.config.ts in step.`,
      );
    }
    // Loading the wrapper costs about 1 s; it runs only when something needs compiling.
    const solc = require('solc') as { version(): string };
    return {
      compilerPath: path.join(path.dirname(require.resolve('solc/package.json')), 'soljson.js'),
      isSolcJs: true,
      version: solcVersion,
      longVersion: solc.version().replace(/\.Emscripten\.clang$/, ''),
    };
  },
);

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      // anchor() runs once per batch for the life of the service: favour call cost over deploy cost.
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: 'cancun',
    },
  },
  paths: { sources: './contracts', artifacts: './artifacts', cache: './cache' },
};

export default config;
