// WALLET_CREDENTIALS_FILE: the credential configurations a business offers to wallets, checked
// field by field (each fault named with its entry), and service-relative URIs put on the public URL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCredentialConfigurations, readCredentialConfigurations } from '../../src/wallets/issuance/credential-configurations';

const BADGE = {
  id: 'EmployeeBadge',
  format: 'dc+sd-jwt',
  vct: '/vct/EmployeeBadge',
  display: [{ name: 'Employee badge', locale: 'en', description: 'Proves you work here', logo: { uri: '/oid4vci/logo.svg', alt_text: 'ACME' }, background_color: '#123', text_color: '#ffffff' }],
};
const W3C = { id: 'EmployeeBadge_w3c', format: 'jwt_vc_json', types: ['VerifiableCredential', 'EmployeeBadge'], display: [{ name: 'Employee badge (W3C)', logo: { uri: 'https://cdn.example.com/acme.png' } }] };

function problems(value: unknown): string[] {
  const result = parseCredentialConfigurations(value);
  return Array.isArray(result) ? [] : result.problems;
}

describe('credential configurations from WALLET_CREDENTIALS_FILE', () => {
  it('reads both formats and puts service-relative vct and logo URIs on the public URL', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'did-notary-wallet-credentials-')), 'credentials.json');
    fs.writeFileSync(file, JSON.stringify([BADGE, W3C]));
    const configurations = readCredentialConfigurations(file)('https://notary.example.com');
    expect(configurations).toEqual([
      { ...BADGE, vct: 'https://notary.example.com/vct/EmployeeBadge', display: [{ ...BADGE.display[0], logo: { uri: 'https://notary.example.com/oid4vci/logo.svg', alt_text: 'ACME' } }] },
      W3C,
    ]);
  });

  it('names every fault with its entry and field', () => {
    expect(problems({})).toEqual(['must be a JSON list of 1 to 100 credential configurations']);
    expect(problems([])).toEqual(['must be a JSON list of 1 to 100 credential configurations']);
    expect(problems([BADGE, { ...BADGE }])).toEqual(['configuration 2: id EmployeeBadge is used twice']);
    expect(problems([{ ...BADGE, id: 'has space' }])).toEqual(['configuration 1: id must be 1 to 100 letters, digits, "_", "." or "-"']);
    expect(problems([{ ...BADGE, format: 'mso_mdoc' }])).toEqual(['configuration 1: format must be dc+sd-jwt or jwt_vc_json']);
    expect(problems([{ ...BADGE, vct: '' }])).toEqual(['configuration 1: a dc+sd-jwt configuration needs its vct (a URI, or a path on the service)']);
    expect(problems([{ ...BADGE, types: ['VerifiableCredential', 'X'] }])).toEqual(['configuration 1: types belong to jwt_vc_json configurations; dc+sd-jwt names its vct']);
    expect(problems([{ ...W3C, types: ['EmployeeBadge'] }])).toEqual(['configuration 1: a jwt_vc_json configuration needs types: ["VerifiableCredential", "<its own type>", …]']);
    expect(problems([{ ...W3C, vct: 'x' }])).toEqual(['configuration 1: vct belongs to dc+sd-jwt configurations; jwt_vc_json names its types']);
    expect(problems([{ ...BADGE, claims: {} }])).toEqual(['configuration 1 has unknown fields: claims']);
    expect(problems([{ ...BADGE, display: [] }])).toEqual(['configuration 1: display must be a list with at least one entry (a name wallets show)']);
    expect(problems([{ ...BADGE, display: [{ name: '', locale: 'english!', logo: { uri: 'ftp://x' }, background_color: 'blue', size: 3 }] }])).toEqual([
      'configuration 1, display 1 has unknown fields: size',
      'configuration 1, display 1: name must be 1 to 200 characters',
      'configuration 1, display 1: locale must be a language tag like en or de-CH',
      'configuration 1, display 1: logo must be {"uri": "https://…" or "/path on the service", "alt_text": "…"}',
      'configuration 1, display 1: background_color must be a colour like #1f3a5f',
    ]);
    expect(problems([42, W3C])).toEqual(['configuration 1 must be an object']);
  });

  it('refuses a file that is missing or not JSON, naming the setting and the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'did-notary-wallet-credentials-'));
    expect(() => readCredentialConfigurations(path.join(dir, 'missing.json'))).toThrow(/^WALLET_CREDENTIALS_FILE .*missing\.json: ENOENT/);
    fs.writeFileSync(path.join(dir, 'bad.json'), '[{');
    expect(() => readCredentialConfigurations(path.join(dir, 'bad.json'))).toThrow(/^WALLET_CREDENTIALS_FILE .*bad\.json: .*JSON/);
    fs.writeFileSync(path.join(dir, 'wrong.json'), JSON.stringify([{ ...W3C, format: 'x' }]));
    expect(() => readCredentialConfigurations(path.join(dir, 'wrong.json'))).toThrow('wrong.json: configuration 1: format must be dc+sd-jwt or jwt_vc_json');
  });
});
