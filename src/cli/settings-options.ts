// Turns the configuration settings into CLI flags, so every environment variable has a matching flag.
import { Command, Option } from 'commander';
import { ConfigError, parseConfig, SETTINGS, settingsFromEnv, type Config, type RawSettings } from '../config/config';

/** Adds one flag per setting (e.g. `--data-dir` for DATA_DIR) to a command. */
export function addSettingOptions(command: Command, only?: readonly string[]): Command {
  for (const setting of SETTINGS) {
    if (only && !only.includes(setting.env)) continue;
    const option = new Option(`--${setting.flag} <value>`, `${setting.help} [env ${setting.env}${'default' in setting ? `, default ${setting.default}` : ''}]`);
    command.addOption(option);
  }
  return command;
}

/** Environment merged with flags (flags win), validated; prints every problem and exits 2 when invalid. */
export function configFromCommand(options: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Config {
  const raw: RawSettings = settingsFromEnv(env);
  for (const setting of SETTINGS) {
    const key = setting.flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    const value = options[key];
    if (typeof value === 'string') raw[setting.env] = value;
  }
  try {
    return parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`${problem.setting}: ${problem.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
