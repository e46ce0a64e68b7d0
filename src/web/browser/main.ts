// Entry point of the verification page bundle (built by src/web/build.ts): wires the two tabs.
import { setupCredentialsPanel } from './credentials-panel';
import { setupDocumentPanel } from './document-panel';
import { preventStrayDrops } from './drop-zone';
import { byId } from './element-builder';
import { readPageConfig } from './page-config';
import { setupTabs } from './tabs';

const config = readPageConfig(window.location, document.body);
setupTabs(byId('panel-documents').parentElement!.querySelector<HTMLElement>('[role="tablist"]')!, window.location, window.history);
preventStrayDrops(window);
setupDocumentPanel(config);
setupCredentialsPanel(config);
document.documentElement.dataset.ready = 'true';
