// The document tab's controller: keeps what the person chose, connects to the service for its chain
// settings, runs verifyDocument and shows the outcome in the live region.
import { chainLabel } from './chain-directory';
import { hashChosenFile, type HashedDocument } from './document-hashing';
import { verifyDocument, type ReceiptSource, type VerificationOutcome } from './document-verification';
import { setupDropZone } from './drop-zone';
import { byId, element } from './element-builder';
import { httpUrl, withTrailingSlash, type PageConfig } from './page-config';
import { fetchServiceInfo, ServiceUnavailableError, type ServiceInfo } from './service-client';
import { verdictBox } from './verdict-box';
import { renderOutcome } from './verification-view';

/** The service receipts are looked up at, and its description when it answered. */
interface ServiceState {
  apiBase: string;
  info?: ServiceInfo;
}

/** Wires the document tab; `config` says which service and RPC to start from. */
export function setupDocumentPanel(config: PageConfig): void {
  const form = byId<HTMLFormElement>('document-form');
  const documentInput = byId<HTMLInputElement>('document-file');
  const documentStatus = byId('document-status');
  const receiptInput = byId<HTMLInputElement>('receipt-file');
  const receiptZone = byId('receipt-drop');
  const receiptStatus = byId('receipt-status');
  const rpcInput = byId<HTMLInputElement>('rpc-url');
  const rpcHint = byId('rpc-hint');
  const apiInput = byId<HTMLInputElement>('api-base');
  const serviceStatus = byId('service-status');
  const settings = byId<HTMLDetailsElement>('settings');
  const result = byId('document-result');
  const sourceInputs = [...form.querySelectorAll<HTMLInputElement>('input[name="receipt-source"]')];

  let chosenDocument: HashedDocument | undefined;
  let hashing: Promise<void> | undefined;
  let receiptFile: { name: string; text: string } | undefined;
  let rpcEdited = config.rpcFromLink !== undefined;
  let latestRun = 0;
  apiInput.value = config.apiBase;
  if (config.rpcFromLink) rpcInput.value = config.rpcFromLink;
  let service = connect(config.apiBase);

  const receiptMode = (): 'lookup' | 'file' => (sourceInputs.find((input) => input.checked)?.value === 'file' ? 'file' : 'lookup');
  const setReceiptMode = (mode: 'lookup' | 'file'): void => {
    for (const input of sourceInputs) input.checked = input.value === mode;
    receiptZone.hidden = mode !== 'file';
  };

  async function connect(apiBase: string): Promise<ServiceState> {
    serviceStatus.textContent = `Connecting to the service at ${apiBase}…`;
    try {
      const info = await fetchServiceInfo(apiBase);
      serviceStatus.replaceChildren(
        config.apiFromLink && apiBase === config.apiBase ? 'The link you followed chose this service: ' : 'Service: ',
        element('code', {}, info.did),
        ` at ${apiBase}; chain: ${chainLabel(info.chain)}.`,
      );
      const relay = apiBase === config.apiBase ? config.chainRpcRelay : undefined;
      if (!rpcEdited) {
        rpcInput.value = relay ?? info.rpcUrl;
        rpcHint.textContent = relay
          ? 'This service’s read-only relay to its own chain (your browser cannot reach that chain directly). For a check that does not involve the service, enter your own node’s URL.'
          : 'From the service’s description (/v1/info). The anchor is read from the chain itself; any node of that chain will do.';
      }
      return { apiBase, info };
    } catch (error) {
      const detail = error instanceof ServiceUnavailableError ? error.message : String(error);
      serviceStatus.textContent = `The service at ${apiBase} is not reachable (${detail}). You can still verify a receipt file against any RPC URL of its chain.`;
      if (!receiptFile && receiptMode() === 'lookup') setReceiptMode('file');
      if (!rpcEdited) rpcHint.textContent = 'No service: enter the RPC URL of a node of the chain the receipt names.';
      return { apiBase };
    }
  }

  async function run(): Promise<void> {
    const runId = ++latestRun;
    result.setAttribute('aria-busy', 'true');
    result.replaceChildren(element('p', { class: 'working' }, 'Verifying…'));
    try {
      await hashing;
      const state = await service;
      const mode = receiptMode();
      let receiptSource: ReceiptSource;
      if (mode === 'lookup') receiptSource = { kind: 'lookup', apiBase: state.apiBase };
      else if (receiptFile) receiptSource = { kind: 'file', ...receiptFile };
      else {
        show(runId, { kind: 'incomplete', missing: 'receipt', detail: 'Choose the receipt file, or let the page look the receipt up by the file’s fingerprint.' });
        return;
      }
      const outcome = await verifyDocument({ document: chosenDocument, receiptSource, rpcUrl: rpcInput.value, service: state.info });
      show(runId, outcome);
    } catch (error) {
      if (runId !== latestRun) return;
      result.replaceChildren(verdictBox('error', '!', 'Something went wrong', element('p', {}, `The page could not finish: ${(error as Error).message}`)));
      result.removeAttribute('aria-busy');
    }
  }

  function show(runId: number, outcome: VerificationOutcome): void {
    if (runId !== latestRun) return; // a newer run replaced this one
    service.then((state) => {
      if (runId !== latestRun) return;
      result.replaceChildren(renderOutcome(outcome, { service: state.info, onRetry: () => void run() }));
      result.removeAttribute('aria-busy');
      // The fix for these is in the settings: show them.
      if (outcome.kind === 'chain-unreachable' || (outcome.kind === 'incomplete' && outcome.missing === 'rpc-url')) settings.open = true;
    }, () => undefined);
  }

  setupDropZone(byId('document-drop'), documentInput, (file) => {
    chosenDocument = undefined;
    documentStatus.textContent = `Hashing ${file.name} on this device…`;
    hashing = hashChosenFile(file).then(
      (hashed) => {
        chosenDocument = hashed;
        documentStatus.replaceChildren(`${file.name} — fingerprint (SHA-256) `, element('code', { class: 'fingerprint' }, hashed.id.digestHex));
      },
      (error: unknown) => {
        documentStatus.textContent = `Could not read ${file.name}: ${(error as Error).message}`;
      },
    );
    if (receiptMode() === 'lookup' || receiptFile) void run();
  });

  setupDropZone(receiptZone, receiptInput, (file) => {
    receiptStatus.textContent = `Reading ${file.name}…`;
    void file.text().then(
      (text) => {
        receiptFile = { name: file.name, text };
        receiptStatus.textContent = `${file.name} (${file.size} bytes)`;
        setReceiptMode('file');
        void run();
      },
      (error: unknown) => {
        receiptStatus.textContent = `Could not read ${file.name}: ${(error as Error).message}`;
      },
    );
  });

  for (const input of sourceInputs) {
    input.addEventListener('change', () => {
      setReceiptMode(receiptMode());
      if (receiptMode() === 'lookup' ? chosenDocument : receiptFile) void run();
    });
  }
  rpcInput.addEventListener('input', () => {
    rpcEdited = true;
    rpcHint.textContent = 'Your own choice of node: the anchor is read from it.';
  });
  apiInput.addEventListener('change', () => {
    const apiBase = httpUrl(apiInput.value);
    if (apiBase === undefined) {
      serviceStatus.textContent = `“${apiInput.value}” is not an http(s) address.`;
      return;
    }
    service = connect(withTrailingSlash(apiBase));
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });
}
