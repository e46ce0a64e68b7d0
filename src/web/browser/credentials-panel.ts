// The credential tab: decode a pasted VC-JWT or VP-JWT in the browser and show what the service's
// POST /v1/credentials/verify says about it (for a presentation: about each credential inside).
import { byId, element } from './element-builder';
import { decodeJwt, embeddedCredentialJwts, jwtKind, MalformedJwtError, type DecodedJwt } from './jwt-decoding';
import { httpUrl, withTrailingSlash, type PageConfig } from './page-config';
import { ServiceUnavailableError, verifyCredentialJwt, type CredentialCheck } from './service-client';
import { verdictBox } from './verdict-box';
import { formatTime } from './verification-view';

const CHECK_LABELS: Record<string, string> = {
  signature: 'Signature by the issuer’s DID key',
  notBefore: 'Already valid (not before)',
  expiry: 'Not expired',
  status: 'Not revoked or suspended',
  audience: 'Audience',
  trustedIssuer: 'Trusted issuer',
  type: 'Expected type',
};

/** Wires the credential tab. */
export function setupCredentialsPanel(config: PageConfig): void {
  const form = byId<HTMLFormElement>('credential-form');
  const input = byId<HTMLTextAreaElement>('credential-jwt');
  const result = byId('credential-result');
  let latestRun = 0;

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const runId = ++latestRun;
    void run(input.value).then((nodes) => {
      if (runId !== latestRun) return;
      result.replaceChildren(...nodes);
      result.removeAttribute('aria-busy');
    });
    result.setAttribute('aria-busy', 'true');
    result.replaceChildren(element('p', { class: 'working' }, 'Decoding and verifying…'));
  });

  async function run(text: string): Promise<Node[]> {
    let decoded: DecodedJwt;
    try {
      decoded = decodeJwt(text);
    } catch (error) {
      if (!(error instanceof MalformedJwtError)) throw error;
      return [verdictBox('malformed', '✗', 'This is not a JWT', element('p', {}, `It cannot be decoded: ${error.message}.`))];
    }
    const apiBase = withTrailingSlash(httpUrl((document.getElementById('api-base') as HTMLInputElement | null)?.value) ?? config.apiBase);
    const kind = jwtKind(decoded.payload);
    if (kind === 'presentation') {
      const embedded = embeddedCredentialJwts(decoded.payload);
      const nodes: Node[] = [
        element('p', { class: 'notice' },
          `A presentation by ${String(decoded.payload.iss ?? 'an unnamed holder')} holding ${embedded.length} credential${embedded.length === 1 ? '' : 's'}. ` +
            'Its own signature, audience and nonce are checked by the party that asked for it, with its challenge; below, each credential inside is verified.'),
      ];
      for (const [index, jwt] of embedded.entries()) {
        nodes.push(element('h3', {}, `Credential ${index + 1}`), await checkSection(apiBase, jwt), ...decodedSections(safeDecode(jwt)));
      }
      nodes.push(element('h3', {}, 'The presentation'), ...decodedSections(decoded));
      return nodes;
    }
    return [await checkSection(apiBase, decoded.compact), ...decodedSections(decoded)];
  }
}

async function checkSection(apiBase: string, jwt: string): Promise<HTMLElement> {
  let check: CredentialCheck;
  try {
    check = await verifyCredentialJwt(apiBase, jwt);
  } catch (error) {
    const detail = error instanceof ServiceUnavailableError ? error.message : String(error);
    return verdictBox('service-unreachable', '!', 'Could not verify', element('p', {}, `The service at ${apiBase} gave no usable answer: ${detail}. The decoded content below is not verified.`));
  }
  if (!check.available) {
    return verdictBox(
      'unavailable',
      '!',
      'Verification is not available',
      element('p', {}, `This service does not offer credential verification: POST /v1/credentials/verify answered ${check.detail}. The decoded content below is not verified.`),
    );
  }
  const { result } = check;
  const checks = element('dl', { class: 'facts checks' });
  for (const [name, outcome] of Object.entries(result.checks)) {
    const word = outcome === true ? 'passed' : outcome === false ? 'failed' : 'not checked';
    checks.append(element('div', { 'data-check': name }, element('dt', {}, CHECK_LABELS[name] ?? name), element('dd', { class: `check-${word.replace(' ', '-')}` }, word)));
  }
  const errors = result.errors.length === 0 ? null : element('ul', { class: 'errors' }, ...result.errors.map((error) => element('li', {}, element('code', {}, error.code), ` ${error.message}`)));
  return verdictBox(
    result.verified ? 'verified' : 'not-verified',
    result.verified ? '✓' : '✗',
    result.verified ? 'Verified credential' : 'Not verified',
    element('dl', { class: 'facts' },
      element('div', {}, element('dt', {}, 'Issuer'), element('dd', {}, element('code', {}, result.issuer ?? '(none)'))),
      element('div', {}, element('dt', {}, 'Subject'), element('dd', {}, element('code', {}, result.subject ?? '(none)'))),
      result.types ? element('div', {}, element('dt', {}, 'Type'), element('dd', {}, result.types.join(', '))) : null,
    ),
    checks,
    errors,
  );
}

function decodedSections(decoded: DecodedJwt | string): Node[] {
  if (typeof decoded === 'string') return [element('p', { class: 'detail' }, `Cannot decode: ${decoded}`)];
  const times = (['nbf', 'iat', 'exp'] as const)
    .filter((claim) => typeof decoded.payload[claim] === 'number')
    .map((claim) => element('li', {}, `${{ nbf: 'Valid from', iat: 'Issued', exp: 'Expires' }[claim]}: ${formatTime(decoded.payload[claim] as number).text}`));
  return [
    element('details', { class: 'decoded', open: true },
      element('summary', {}, 'Decoded content'),
      times.length > 0 ? element('ul', { class: 'times' }, ...times) : null,
      element('h4', {}, 'Header'),
      element('pre', { class: 'json', 'data-part': 'header' }, JSON.stringify(decoded.header, null, 2)),
      element('h4', {}, 'Payload'),
      element('pre', { class: 'json', 'data-part': 'payload' }, JSON.stringify(decoded.payload, null, 2)),
    ),
  ];
}

function safeDecode(jwt: string): DecodedJwt | string {
  try {
    return decodeJwt(jwt);
  } catch (error) {
    return (error as Error).message;
  }
}
