// WAI-ARIA tabs: click or arrow keys (Home/End too) switch panels; the URL fragment remembers the tab.

/** Wires the tabs of `tablist`; each tab's aria-controls names its panel. */
export function setupTabs(tablist: HTMLElement, location: Location, history: History): void {
  const tabs = [...tablist.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
  const select = (selected: HTMLButtonElement, focus: boolean): void => {
    for (const tab of tabs) {
      const active = tab === selected;
      tab.setAttribute('aria-selected', String(active));
      tab.tabIndex = active ? 0 : -1;
      const panel = document.getElementById(tab.getAttribute('aria-controls') ?? '');
      if (panel) panel.hidden = !active;
    }
    if (focus) selected.focus();
    const fragment = `#${selected.id.replace(/^tab-/, '')}`;
    if (location.hash !== fragment) history.replaceState(null, '', fragment === '#documents' ? location.pathname + location.search : fragment);
  };
  for (const [index, tab] of tabs.entries()) {
    tab.addEventListener('click', () => select(tab, false));
    tab.addEventListener('keydown', (event) => {
      const target =
        event.key === 'ArrowRight' ? tabs[(index + 1) % tabs.length]
        : event.key === 'ArrowLeft' ? tabs[(index - 1 + tabs.length) % tabs.length]
        : event.key === 'Home' ? tabs[0]
        : event.key === 'End' ? tabs[tabs.length - 1]
        : undefined;
      if (target === undefined) return;
      event.preventDefault();
      select(target, true);
    });
  }
  const fromFragment = tabs.find((tab) => `#${tab.id.replace(/^tab-/, '')}` === location.hash);
  if (fromFragment) select(fromFragment, false);
}
