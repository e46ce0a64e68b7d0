// Wallet protocol rounds over HTTP on the real service (`did-notary serve`, embedded store and chain),
// with the holder side of @openid4vc/openid4vci and @openid4vc/openid4vp as the wallet: a whole
// pre-authorized issuance (offer → metadata → token → nonce → credential) and a whole OpenID4VP round
// (request → request object → presentation → direct_post → status), one wallet at a time for median
// and p99, then 10 wallets at once for rounds per second. Peers, measured in the same run: the same
// credential issued by POST /v1/credentials, and the same presentation checked by POST
// /v1/credentials/verify — what the protocols add over one API call.
import { figure, formatRatio, formatSeconds, type Figure } from './report';
import type { ResourceScope } from './resources';
import { callService, startBenchService, type BenchService } from './service-process';
import { median, round, timeAsync } from './stats';
import { freshWalletKey, LibraryIssuanceWallet, LibraryPresentationWallet, walletCallbacks } from '../test/wallets/helpers/library-wallet';

const CLAIMS = { given_name: 'Alice', family_name: 'Smith', birthdate: '2000-01-01', age_over_18: true };

function p99(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}

/** One wallet: its issuance round and its presentation round, each returning what the next needs. */
function walletRounds(service: BenchService) {
  const key = freshWalletKey();
  const issuance = new LibraryIssuanceWallet(key, walletCallbacks([key]));
  const presentation = new LibraryPresentationWallet(key, walletCallbacks([key], { didWebDocumentUrl: `${service.url}/.well-known/did.json` }));
  const query = { credentials: [{ id: 'identity', format: 'dc+sd-jwt', meta: { vct_values: [`${service.url}/vct/IdentityCredential`] }, claims: [{ path: ['age_over_18'] }] }] };
  return {
    key,
    async issue(): Promise<string> {
      const offer = await callService<{ offerUri: string }>(service, 'POST', '/v1/credential-offers', { credentialConfigurationId: 'IdentityCredential_sd_jwt', claims: CLAIMS });
      return issuance.receive(offer.offerUri);
    },
    async present(credential: string): Promise<void> {
      const created = await callService<{ requestUri: string; status: string }>(service, 'POST', '/v1/presentation-requests', { dcqlQuery: query, purpose: 'bench' });
      const resolved = await presentation.resolve(created.requestUri);
      const answer = await presentation.submit(resolved, await presentation.vpToken(resolved, { identity: credential }));
      if (answer.status !== 200) throw new Error(`the presentation was refused: ${JSON.stringify(answer.body)}`);
      const status = await callService<{ status: string }>(service, 'GET', created.status);
      if (status.status !== 'verified') throw new Error(`the request is ${status.status} after the answer`);
    },
  };
}

export async function benchWalletRounds(scope: ResourceScope, options: { quick: boolean; log: (line: string) => void }): Promise<Figure[]> {
  const { quick, log } = options;
  const rounds = quick ? 15 : 100;
  const concurrentRounds = quick ? 20 : 100;
  log('wallets: starting did-notary serve (embedded PGlite + Anvil)');
  const service = await startBenchService(scope, { dataDir: scope.tempDir('wallets'), env: { RATE_LIMIT: '0', PUBLIC_RATE_LIMIT: '0', BATCH_INTERVAL: '1h', LOG_LEVEL: 'warn' } });
  try {
    const wallet = walletRounds(service);
    // Warm-up: the first round loads the libraries' code paths and the DID cache.
    await wallet.present(await wallet.issue());

    const issuance: number[] = [];
    const presentation: number[] = [];
    const peerIssue: number[] = [];
    const peerVerify: number[] = [];
    for (let i = 0; i < rounds; i++) {
      let credential = '';
      issuance.push(await timeAsync(async () => (credential = await wallet.issue())));
      presentation.push(await timeAsync(() => wallet.present(credential)));
      peerIssue.push(await timeAsync(() => callService(service, 'POST', '/v1/credentials', { format: 'dc+sd-jwt', vct: `${service.url}/vct/IdentityCredential`, claims: CLAIMS, holder: { jwk: wallet.key.publicJwk } })));
      peerVerify.push(await timeAsync(() => callService(service, 'POST', '/v1/credentials/verify', { credential })));
    }
    log(`wallets: issuance median ${formatSeconds(median(issuance))} p99 ${formatSeconds(p99(issuance))}; presentation median ${formatSeconds(median(presentation))} p99 ${formatSeconds(p99(presentation))}`);

    // 10 wallets at once, each doing issuance + presentation rounds until `concurrentRounds` are done.
    const wallets = Array.from({ length: 10 }, () => walletRounds(service));
    let next = 0;
    const started = performance.now();
    await Promise.all(
      wallets.map(async (each) => {
        while (next++ < concurrentRounds) await each.present(await each.issue());
      }),
    );
    const perSecond = concurrentRounds / ((performance.now() - started) / 1000);
    const oneWalletPerSecond = 1000 / (median(issuance) + median(presentation));
    log(`wallets: ${perSecond.toFixed(1)} issuance+presentation rounds/s with 10 wallets (one wallet: ${oneWalletPerSecond.toFixed(1)}/s)`);

    const note =
      `${rounds} rounds of each, one wallet (the @openid4vc libraries' holder side) over HTTP to the embedded service; issuance = POST /v1/credential-offers, ` +
      'offer and metadata fetches, token, nonce, credential (dc+sd-jwt, bound to a fresh P-256 key); presentation = POST /v1/presentation-requests, signed ' +
      'request object by reference, SD-JWT presentation with KB-JWT by @sd-jwt/sd-jwt-vc, direct_post, status. Peers: POST /v1/credentials of the same credential, POST /v1/credentials/verify of it.';
    return [
      figure({
        id: 'wallet.issuance.median',
        figure: 'OpenID4VCI pre-authorized issuance, whole round over HTTP (median)',
        value: round(median(issuance)),
        unit: 'ms',
        valueText: formatSeconds(median(issuance)),
        targetText: '—',
        peerText: `${formatSeconds(median(peerIssue))} (POST /v1/credentials)`,
        ratioText: formatRatio(median(issuance) / median(peerIssue)),
        verdict: 'info',
        note,
        details: { issuanceMs: issuance, peerIssueMs: peerIssue },
      }),
      figure({ id: 'wallet.issuance.p99', figure: `OpenID4VCI pre-authorized issuance (p99 of ${rounds})`, value: round(p99(issuance)), unit: 'ms', valueText: formatSeconds(p99(issuance)), targetText: '—', peerText: `${formatSeconds(p99(peerIssue))} (POST /v1/credentials)`, verdict: 'info' }),
      figure({
        id: 'wallet.presentation.median',
        figure: 'OpenID4VP round (DCQL, SD-JWT VC), whole round over HTTP (median)',
        value: round(median(presentation)),
        unit: 'ms',
        valueText: formatSeconds(median(presentation)),
        targetText: '—',
        peerText: `${formatSeconds(median(peerVerify))} (POST /v1/credentials/verify)`,
        ratioText: formatRatio(median(presentation) / median(peerVerify)),
        verdict: 'info',
        details: { presentationMs: presentation, peerVerifyMs: peerVerify },
      }),
      figure({ id: 'wallet.presentation.p99', figure: `OpenID4VP round (p99 of ${rounds})`, value: round(p99(presentation)), unit: 'ms', valueText: formatSeconds(p99(presentation)), targetText: '—', peerText: `${formatSeconds(p99(peerVerify))} (POST /v1/credentials/verify)`, verdict: 'info' }),
      figure({
        id: 'wallet.rounds-per-second',
        figure: `issuance + presentation rounds/s, 10 wallets at once (${concurrentRounds} rounds)`,
        value: round(perSecond),
        unit: 'rounds/s',
        valueText: `${perSecond.toFixed(1)}/s`,
        targetText: '—',
        peerText: `${oneWalletPerSecond.toFixed(1)}/s (one wallet)`,
        ratioText: formatRatio(perSecond / oneWalletPerSecond),
        verdict: 'info',
      }),
    ];
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- service log (tail) ---\n${service.logTail(15)}`);
  } finally {
    await service.stop();
  }
}
