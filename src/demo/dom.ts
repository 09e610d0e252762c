/** The element with this id; the page is ours, so a missing one is a bug worth failing loudly on. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`demo page has no element #${id}`);
  return element as T;
}

/** Creates an element with text content and attributes. */
export function element(tag: string, text = "", attributes: Record<string, string> = {}): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = text;
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  return el;
}

/** Shows a one-line message under the header: errors in red, info in green. */
export function showStatus(message: string, kind: "error" | "info" = "error"): void {
  const status = byId("status");
  status.textContent = message;
  status.dataset.kind = kind;
}
