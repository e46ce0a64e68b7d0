// The headline box both tabs show a result in; `data-state` names the state for styling and tests.
import { element } from './element-builder';

/** `<div class="verdict verdict-STATE" data-state=STATE><h2>ICON TITLE</h2>…body</div>`. */
export function verdictBox(state: string, icon: string, title: string, ...body: Array<Node | null>): HTMLElement {
  return element(
    'div',
    { class: `verdict verdict-${state}`, 'data-state': state },
    element('h2', { class: 'verdict-title' }, element('span', { class: 'verdict-icon', 'aria-hidden': 'true' }, icon), ` ${title}`),
    ...body,
  );
}
