// The credential tab: decode a pasted VC-JWT, VP-JWT or SD-JWT VC in the browser and show what the
// service's POST /v1/credentials/verify says about it (for a presentation: about each credential
// inside; for an SD-JWT VC: which claims it discloses).
import { byId, element } from './element-builder';
import { decodeJwt, decodeSdJwt, embeddedCredentialJwts, isSdJwt, jwtKind, MalformedJwtError, type DecodedJwt, type DecodedSdJwt } from './jwt-decoding';
import { httpUrl, withTrailingSlash, type PageConfig } from './page-config';
import { ServiceUnavailableError, verifyCredential, type CredentialCheck, type CredentialVerificationResult } from './service-client';
import { verdictBox } from './verdict-box';
import { formatTime } from './verification-view';

const CHECK_LABELS: Record<string, string> = {
  signature: 'Signature by the issuer’s key (its DID or published metadata)',
  notBefore: 'Already valid (not before)',
  expiry: 'Not expired',
  status: 'Not revoked or suspended',
  audience: 'Audience',
  trustedIssuer: 'Trusted issuer',
  type: 'Expected type',
  disclosures: 'Each disclosure matches the signed credential',
  keyBinding: 'Presented by the holder’s key (key binding)',
  nonce: 'Nonce',
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
    const apiBase = withTrailingSlash(httpUrl((document.getElementById('api-base') as HTMLInputElement | null)?.value) ?? config.apiBase);
    if (isSdJwt(text)) {
      let sdJwt: DecodedSdJwt;
      try {
        sdJwt = decodeSdJwt(text);
      } catch (error) {
        if (!(error instanceof MalformedJwtError)) throw error;
        return [verdictBox('malformed', '✗', 'This is not an SD-JWT', element('p', {}, `It cannot be decoded: ${error.message}.`))];
      }
      const check = await checkCredential(apiBase, sdJwt.compact);
      return [check.box, ...(check.result ? [disclosedClaimsSection(check.result)] : []), ...decodedSdJwtSections(sdJwt)];
    }
    let decoded: DecodedJwt;
    try {
      decoded = decodeJwt(text);
    } catch (error) {
      if (!(error instanceof MalformedJwtError)) throw error;
      return [verdictBox('malformed', '✗', 'This is not a JWT', element('p', {}, `It cannot be decoded: ${error.message}.`))];
    }
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
  return (await checkCredential(apiBase, jwt)).box;
}

/** The service's verdict on a credential, as a box, with the result when the service gave one. */
async function checkCredential(apiBase: string, credential: string): Promise<{ box: HTMLElement; result?: CredentialVerificationResult }> {
  let check: CredentialCheck;
  try {
    check = await verifyCredential(apiBase, credential);
  } catch (error) {
    const detail = error instanceof ServiceUnavailableError ? error.message : String(error);
    return { box: verdictBox('service-unreachable', '!', 'Could not verify', element('p', {}, `The service at ${apiBase} gave no usable answer: ${detail}. The decoded content below is not verified.`)) };
  }
  if (!check.available) {
    return {
      box: verdictBox(
        'unavailable',
        '!',
        'Verification is not available',
        element('p', {}, `This service does not offer credential verification: POST /v1/credentials/verify answered ${check.detail}. The decoded content below is not verified.`),
      ),
    };
  }
  return { box: verdictSection(check.result), result: check.result };
}

function verdictSection(result: CredentialVerificationResult): HTMLElement {
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
      result.format ? element('div', {}, element('dt', {}, 'Format'), element('dd', {}, FORMAT_LABELS[result.format] ?? result.format)) : null,
    ),
    checks,
    errors,
  );
}

const FORMAT_LABELS: Record<string, string> = {
  jwt_vc_json: 'W3C credential as a JWT',
  'dc+sd-jwt': 'SD-JWT VC (selective disclosure)',
};

/**
 * The claims an SD-JWT VC shows, as the service read them: each top-level claim with its value, marked
 * "disclosed" when the holder chose to reveal it (or something inside it) and "always visible" otherwise.
 */
function disclosedClaimsSection(result: CredentialVerificationResult): HTMLElement {
  const claims = result.claims ?? {};
  const disclosedNames = new Set((result.disclosed ?? []).map((path) => String(path[0])));
  const names = Object.keys(claims);
  return element('section', { class: 'disclosed-claims' },
    element('h3', {}, 'Claims it shows'),
    names.length === 0
      ? element('p', {}, 'No claims about the subject are disclosed.')
      : element('dl', { class: 'facts' },
          ...names.map((name) =>
            element('div', { 'data-claim': name, 'data-disclosed': disclosedNames.has(name) ? 'true' : 'false' },
              element('dt', {}, name),
              element('dd', {},
                element('code', {}, JSON.stringify(claims[name])),
                element('span', { class: 'badge' }, disclosedNames.has(name) ? 'disclosed' : 'always visible'),
              ),
            ),
          ),
        ),
    element('p', { class: 'detail' }, `${result.disclosed?.length ?? 0} selectively disclosed claim${result.disclosed?.length === 1 ? '' : 's'}; the issuer may have hidden others, which the holder did not reveal.`),
  );
}

function decodedSdJwtSections(sdJwt: DecodedSdJwt): Node[] {
  return [
    ...decodedSections(sdJwt.issuerJwt),
    element('details', { class: 'decoded', open: true },
      element('summary', {}, `Disclosures (${sdJwt.disclosures.length})`),
      element('pre', { class: 'json', 'data-part': 'disclosures' }, JSON.stringify(sdJwt.disclosures.map((d) => (d.name === undefined ? [d.value] : [d.name, d.value])), null, 2)),
      sdJwt.keyBinding ? element('h4', {}, 'Key binding (signed by the holder)') : null,
      sdJwt.keyBinding ? element('pre', { class: 'json', 'data-part': 'key-binding' }, JSON.stringify(sdJwt.keyBinding.payload, null, 2)) : null,
    ),
  ];
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
