// Renders a VerificationOutcome as the result region's content: a verdict headline, what it means, and
// the facts behind it (time in the person's time zone, block, transaction, who anchored it).
import type { AnchoredReceipt, Receipt, ReceiptAnchor } from '../../core/receipts/receipt';
import type { ReceiptVerified } from '../../core/receipts/verify';
import { chainLabel, explorerLinks } from './chain-directory';
import type { HashedDocument } from './document-hashing';
import type { VerificationOutcome } from './document-verification';
import { element, externalLink } from './element-builder';
import { FAILURE_REASONS } from './failure-reasons';
import { verdictBox } from './verdict-box';
import type { ServiceInfo } from './service-client';

export interface ViewContext {
  /** The service's description, when reachable (to say "this service" next to its DID). */
  service?: ServiceInfo;
  /** Called by the "Check again" button of a pending receipt. */
  onRetry: () => void;
}

type Fact = [label: string, value: Node | string];

/** The verdict for `outcome`, with `data-state` (and `data-reason`) for styling and tests. */
export function renderOutcome(outcome: VerificationOutcome, context: ViewContext): HTMLElement {
  switch (outcome.kind) {
    case 'valid': {
      const { verification, receipt, document } = outcome;
      return verdict('valid', '✓', document ? 'Valid: this file was notarized' : 'Valid receipt', [
        element(
          'p',
          {},
          document
            ? `This exact file was registered and its batch was written to the chain on ${formatTime(verification.anchoredAt).text}.`
            : 'The receipt holds, but no file was compared with it: choose the file to check that it is the one.',
        ),
        facts([
          ['Anchored on', timeElement(verification.anchoredAt)],
          ...documentFacts(document, receipt),
          ...anchorFacts(verifiedAnchor(receipt, verification.transactionHash), receipt.issuer, verification.submitter, context.service),
          ['Batch', `document ${verification.leafIndex + 1} of ${verification.treeSize}, root ${verification.root}`],
          ...logFacts(verification),
          ...chainsFacts(verification),
          ['Checked on', outcome.rpcUrl],
        ]),
      ]);
    }
    case 'invalid': {
      const text = FAILURE_REASONS[outcome.reason];
      const extra: Fact[] = [];
      if (outcome.reason === 'wrong-document' && outcome.document && outcome.receipt) {
        extra.push(['Your file', `${outcome.document.name}: ${outcome.document.id.cid}`], ['The receipt is for', outcome.receipt.document.cid]);
      } else if (outcome.receipt) {
        extra.push(...receiptSummary(outcome.receipt));
      }
      if (outcome.rpcUrl) extra.push(['Checked on', outcome.rpcUrl]);
      const node = verdict('invalid', '✗', `Not valid: ${lowerFirst(text.title)}`, [
        element('p', {}, text.explanation),
        extra.length > 0 ? facts(extra) : null,
        element('p', { class: 'detail' }, `Details (${outcome.reason}): ${outcome.message}`),
      ]);
      node.dataset.reason = outcome.reason;
      return node;
    }
    case 'pending': {
      const { receipt } = outcome;
      const interval = context.service?.batch?.intervalMs;
      const retry = element('button', { type: 'button', class: 'secondary' }, 'Check again');
      retry.addEventListener('click', context.onRetry);
      return verdict('pending', '…', 'Received, not anchored yet', [
        element(
          'p',
          {},
          `The service accepted this document on ${formatTime(Date.parse(receipt.submittedAt) / 1000).text}, ` +
            `but has not written its batch to the chain yet${interval ? ` (it does so about every ${formatDuration(interval)})` : ''}. ` +
            'Until then nothing is proven. Check again in a moment.',
        ),
        facts([...documentFacts(outcome.document, receipt), ['Issued by', didValue(receipt.issuer, context.service)]]),
        retry,
      ]);
    }
    case 'unknown-document':
      return verdict('unknown-document', '?', 'Unknown document', [
        element(
          'p',
          {},
          `The service at ${outcome.apiBase} has no receipt for a file with this fingerprint. Make sure it is exactly the file that was notarized: ` +
            'any change, even re-saving it, changes the fingerprint. If you have its receipt file, choose “I have the receipt file” instead.',
        ),
        facts([
          ['File', outcome.document.name],
          ['Fingerprint (SHA-256)', code(outcome.document.id.digestHex)],
          ['Document id', code(outcome.document.id.cid)],
        ]),
      ]);
    case 'service-unreachable':
      return verdict('service-unreachable', '!', 'Could not reach the service', [
        element('p', {}, `The service at ${outcome.apiBase} gave no usable answer: ${outcome.detail}.`),
        element('p', {}, 'You can still verify without it: choose “I have the receipt file” and give the RPC URL of the chain under “Chain and service”.'),
      ]);
    case 'chain-unreachable':
      return verdict('chain-unreachable', '!', 'Could not check the chain', [
        element('p', {}, 'Nothing was decided: the receipt is neither confirmed nor refuted, because the chain could not be asked.'),
        element('p', {}, 'The node at ', code(outcome.rpcUrl), ` gave ${outcome.detail}.`),
        element('p', {}, `Try another RPC URL for ${chainLabel(outcome.receipt.anchor.chain)} under “Chain and service”.`),
        facts(receiptSummary(outcome.receipt)),
      ]);
    case 'incomplete':
      return verdict('incomplete', 'i', 'Something is missing', [element('p', {}, outcome.detail)]);
  }
}

/** "Tuesday, 24 November 2026 at 13:00:00 CET" in the person's locale and time zone, and the zone's name. */
export function formatTime(unixSeconds: number): { text: string; iso: string; timeZone: string } {
  const date = new Date(unixSeconds * 1000);
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });
  return { text: format.format(date), iso: date.toISOString(), timeZone: format.resolvedOptions().timeZone };
}

function timeElement(unixSeconds: number): HTMLElement {
  const time = formatTime(unixSeconds);
  return element(
    'span',
    {},
    element('time', { datetime: time.iso, class: 'anchored-at' }, time.text),
    element('span', { class: 'muted' }, ` (your time zone, ${time.timeZone}; ${time.iso.replace('.000Z', 'Z')} UTC)`),
  );
}

function verdict(state: string, icon: string, title: string, body: Array<Node | null>): HTMLElement {
  return verdictBox(state, icon, title, ...body);
}

function facts(rows: Fact[]): HTMLDListElement {
  const list = element('dl', { class: 'facts' });
  for (const [label, value] of rows) list.append(element('div', {}, element('dt', {}, label), element('dd', {}, value)));
  return list;
}

function documentFacts(document: HashedDocument | undefined, receipt: Receipt): Fact[] {
  return document
    ? [['File', `${document.name} (${formatBytes(document.size)})`], ['Document id', code(receipt.document.cid)]]
    : [['Document id', code(receipt.document.cid)]];
}

/** The anchor of the receipt that verified (its first, unless another chain's held). */
function verifiedAnchor(receipt: AnchoredReceipt, transactionHash: string): ReceiptAnchor {
  return (receipt.anchors ?? [receipt.anchor]).find((anchor) => anchor.transactionHash === transactionHash) ?? receipt.anchor;
}

/** Where the receipt's batch sits in the service's transparency log, when the receipt says. */
function logFacts(verification: ReceiptVerified): Fact[] {
  if (!verification.log) return [];
  const { origin, index, commitmentRoot } = verification.log;
  return [['Transparency log', `entry ${index} of ${origin}: this batch commits to the log's first ${index} entries (head ${commitmentRoot.slice(0, 16)}…), checked`]];
}

/** One line per chain for a receipt anchored on several: where it holds, and where it was not checked or did not hold. */
function chainsFacts(verification: ReceiptVerified): Fact[] {
  if (verification.anchors.length < 2) return [];
  const list = element('ul', { class: 'anchors' });
  for (const anchor of verification.anchors) {
    const text = anchor.valid
      ? `${chainLabel(anchor.chain)}: holds, block ${anchor.blockNumber}`
      : anchor.reason === 'wrong-chain' || anchor.reason === 'unreachable'
        ? `${chainLabel(anchor.chain)}: not checked (no reachable node of this chain)`
        : `${chainLabel(anchor.chain)}: does not hold (${anchor.reason}): ${anchor.message ?? ''}`;
    list.append(element('li', { 'data-chain': anchor.chain, 'data-valid': String(anchor.valid) }, text));
  }
  return [['Anchored on chains', list]];
}

function anchorFacts(anchor: ReceiptAnchor, issuer: string, submitter: string, service: ServiceInfo | undefined): Fact[] {
  const links = explorerLinks(anchor.chain);
  const linked = (text: string, href: string | undefined): Node => (href ? externalLink(href, text) : code(text));
  const issuerAddress = /^did:ethr:(?:[^:]+:)?(0x[0-9a-fA-F]{40})$/.exec(issuer)?.[1]?.toLowerCase();
  const sameAccount = issuerAddress !== undefined && issuerAddress === submitter.toLowerCase();
  return [
    ['Chain', chainLabel(anchor.chain)],
    ['Block', linked(String(anchor.blockNumber), links?.block(anchor.blockNumber))],
    ['Transaction', linked(anchor.transactionHash, links?.transaction(anchor.transactionHash))],
    ['Issued by', didValue(issuer, service)],
    [
      'Anchored by',
      element(
        'span',
        {},
        linked(submitter.toLowerCase(), links?.address(submitter)),
        element('span', { class: 'muted' }, sameAccount ? ' — the issuer’s own account, as the chain records it' : ' — the account the chain records'),
      ),
    ],
    ['Anchor contract', linked(anchor.contract.toLowerCase(), links?.address(anchor.contract))],
  ];
}

function receiptSummary(receipt: Receipt): Fact[] {
  const rows: Fact[] = [['Document id', code(receipt.document.cid)], ['Issued by', code(receipt.issuer)]];
  if (receipt.status === 'anchored') {
    rows.push(['Chain', chainLabel(receipt.anchor.chain)], ['Block (per receipt)', String(receipt.anchor.blockNumber)]);
  }
  return rows;
}

function didValue(did: string, service: ServiceInfo | undefined): Node {
  return element('span', {}, code(did), service?.did === did ? element('span', { class: 'badge' }, 'this service') : null);
}

function code(text: string): HTMLElement {
  return element('code', {}, text);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function formatBytes(size: number): string {
  if (size < 1024) return `${size} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function formatDuration(ms: number): string {
  const [count, unit] = ms < 60_000 ? [Math.round(ms / 1000), 'second'] : ms < 3_600_000 ? [Math.round(ms / 60_000), 'minute'] : [Math.round(ms / 3_600_000), 'hour'];
  return count === 1 ? `${unit === 'hour' ? 'an' : 'a'} ${unit}` : `${count} ${unit}s`;
}
