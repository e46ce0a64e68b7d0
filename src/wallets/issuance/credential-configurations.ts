// The credentials a wallet can receive here (OpenID4VCI "credential configurations"): their format,
// type, and what a wallet shows of them (name, logo, colours). A business's offer names one.
import fs from 'node:fs';

/** How a wallet displays a credential (OpenID4VCI 1.0 §12.2.4, `credential_metadata.display`). */
export interface CredentialDisplay {
  name: string;
  locale?: string;
  description?: string;
  logo?: { uri: string; alt_text?: string };
  background_color?: string;
  text_color?: string;
}

/** One credential configuration: an SD-JWT VC of a `vct`, or a W3C credential of some types. */
export type WalletCredentialConfiguration =
  | { id: string; format: 'dc+sd-jwt'; vct: string; display: CredentialDisplay[] }
  | { id: string; format: 'jwt_vc_json'; types: string[]; display: CredentialDisplay[] };

/** The configurations the service offers unless told otherwise: one per format. `base` is the public URL. */
export function defaultCredentialConfigurations(base: string): WalletCredentialConfiguration[] {
  const logo = { uri: `${base}/oid4vci/logo.svg`, alt_text: 'did-notary' };
  return [
    {
      id: 'IdentityCredential_sd_jwt',
      format: 'dc+sd-jwt',
      vct: `${base}/vct/IdentityCredential`,
      display: [{ name: 'Identity credential', locale: 'en', description: 'Claims about you, each disclosed only when you choose', logo, background_color: '#1f3a5f', text_color: '#ffffff' }],
    },
    {
      id: 'IdentityCredential_jwt_vc',
      format: 'jwt_vc_json',
      types: ['VerifiableCredential', 'IdentityCredential'],
      display: [{ name: 'Identity credential (W3C)', locale: 'en', description: 'A W3C verifiable credential signed by the service DID', logo, background_color: '#2d5f2e', text_color: '#ffffff' }],
    },
  ];
}

/** The small SVG logo the default configurations name. */
export const DEFAULT_LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#1f3a5f"/><path d="M18 34l9 9 19-21" stroke="#fff" stroke-width="6" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>';

/**
 * Reads WALLET_CREDENTIALS_FILE: the credentials a business offers, as a JSON list of configurations
 * in the shape above. A `vct` or logo `uri` that starts with "/" is on the service's public URL.
 * Throws one Error naming the file and every fault, so that the service refuses to start with it.
 */
export function readCredentialConfigurations(file: string): (base: string) => WalletCredentialConfiguration[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`WALLET_CREDENTIALS_FILE ${file}: ${(error as Error).message}`);
  }
  const configurations = parseCredentialConfigurations(parsed);
  if (!Array.isArray(configurations)) throw new Error(`WALLET_CREDENTIALS_FILE ${file}: ${configurations.problems.join('; ')}`);
  return (base) => configurations.map((configuration) => onBase(configuration, base));
}

const ID = /^[A-Za-z0-9_.-]{1,100}$/;
const COLOUR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const URI_OR_PATH = /^(?:https?:\/\/\S+|\/\S*)$/;

/** Checks a parsed file: the configurations, or every problem found (each naming the entry and field). */
export function parseCredentialConfigurations(value: unknown): WalletCredentialConfiguration[] | { problems: string[] } {
  const problems: string[] = [];
  if (!Array.isArray(value) || value.length === 0 || value.length > 100) return { problems: ['must be a JSON list of 1 to 100 credential configurations'] };
  const seen = new Set<string>();
  const configurations: WalletCredentialConfiguration[] = [];
  value.forEach((entry: unknown, index) => {
    const where = `configuration ${index + 1}`;
    if (!isObject(entry)) return problems.push(`${where} must be an object`);
    const { id, format, vct, types, display, ...rest } = entry;
    const before = problems.length;
    if (Object.keys(rest).length > 0) problems.push(`${where} has unknown fields: ${Object.keys(rest).join(', ')}`);
    if (typeof id !== 'string' || !ID.test(id)) problems.push(`${where}: id must be 1 to 100 letters, digits, "_", "." or "-"`);
    else if (seen.has(id)) problems.push(`${where}: id ${id} is used twice`);
    else seen.add(id);
    if (format === 'dc+sd-jwt') {
      if (typeof vct !== 'string' || vct.length === 0 || vct.length > 500) problems.push(`${where}: a dc+sd-jwt configuration needs its vct (a URI, or a path on the service)`);
      if (types !== undefined) problems.push(`${where}: types belong to jwt_vc_json configurations; dc+sd-jwt names its vct`);
    } else if (format === 'jwt_vc_json') {
      if (!Array.isArray(types) || types.length < 2 || !types.includes('VerifiableCredential') || !types.every((t) => typeof t === 'string' && /^\S{1,200}$/.test(t))) {
        problems.push(`${where}: a jwt_vc_json configuration needs types: ["VerifiableCredential", "<its own type>", …]`);
      }
      if (vct !== undefined) problems.push(`${where}: vct belongs to dc+sd-jwt configurations; jwt_vc_json names its types`);
    } else {
      problems.push(`${where}: format must be dc+sd-jwt or jwt_vc_json`);
    }
    const displays = checkDisplays(display, where, problems);
    if (problems.length > before) return;
    configurations.push(
      format === 'dc+sd-jwt'
        ? { id: id as string, format, vct: vct as string, display: displays }
        : { id: id as string, format: 'jwt_vc_json', types: types as string[], display: displays },
    );
  });
  return problems.length > 0 ? { problems } : configurations;
}

function checkDisplays(value: unknown, where: string, problems: string[]): CredentialDisplay[] {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`${where}: display must be a list with at least one entry (a name wallets show)`);
    return [];
  }
  value.forEach((display: unknown, index) => {
    const at = `${where}, display ${index + 1}`;
    if (!isObject(display)) return problems.push(`${at} must be an object`);
    const { name, locale, description, logo, background_color: background, text_color: text, ...rest } = display;
    if (Object.keys(rest).length > 0) problems.push(`${at} has unknown fields: ${Object.keys(rest).join(', ')}`);
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) problems.push(`${at}: name must be 1 to 200 characters`);
    if (locale !== undefined && (typeof locale !== 'string' || !/^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/.test(locale))) problems.push(`${at}: locale must be a language tag like en or de-CH`);
    if (description !== undefined && (typeof description !== 'string' || description.length > 500)) problems.push(`${at}: description must be text of at most 500 characters`);
    if (logo !== undefined) {
      const uri = isObject(logo) ? logo.uri : undefined;
      const altText = isObject(logo) ? logo.alt_text : undefined;
      if (typeof uri !== 'string' || !URI_OR_PATH.test(uri) || (altText !== undefined && typeof altText !== 'string')) {
        problems.push(`${at}: logo must be {"uri": "https://…" or "/path on the service", "alt_text": "…"}`);
      }
    }
    for (const [field, colour] of [['background_color', background], ['text_color', text]] as const) {
      if (colour !== undefined && (typeof colour !== 'string' || !COLOUR.test(colour))) problems.push(`${at}: ${field} must be a colour like #1f3a5f`);
    }
  });
  return value as CredentialDisplay[];
}

/** The configuration with its service-relative vct and logo URIs made absolute on `base`. */
function onBase(configuration: WalletCredentialConfiguration, base: string): WalletCredentialConfiguration {
  const absolute = (uri: string) => (uri.startsWith('/') ? `${base}${uri}` : uri);
  const display = configuration.display.map((d) => (d.logo ? { ...d, logo: { ...d.logo, uri: absolute(d.logo.uri) } } : d));
  return configuration.format === 'dc+sd-jwt' ? { ...configuration, vct: absolute(configuration.vct), display } : { ...configuration, display };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
