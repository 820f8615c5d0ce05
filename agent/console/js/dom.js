// Building the page without innerHTML: every value from the API goes in as text.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A labelled input: the label's for= ties it to the control (keyboard and screen readers). */
export function field(id, labelText, attrs = {}) {
  return h('div', {}, h('label', { for: id }, labelText), h('input', { id, name: id, ...attrs }));
}

export function show(view, ...nodes) {
  view.replaceChildren(...nodes);
}

let messageTimer = null;

export function message(text, kind = 'error') {
  const box = document.getElementById('message');
  box.textContent = text;
  box.className = kind === 'info' ? 'message info' : 'message';
  box.hidden = !text;
  clearTimeout(messageTimer);
  if (text && kind === 'info') messageTimer = setTimeout(() => (box.hidden = true), 6000);
}

/** Seconds as m:ss. */
export function clock(s) {
  if (!Number.isFinite(s)) return '0:00';
  const t = Math.max(0, Math.floor(s));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}

/** At least five letters, digits or signs: the API's rule for a reason. */
export function reasonOk(s) {
  return (s.match(/[\p{L}\p{N}\p{P}\p{S}]/gu)?.length ?? 0) >= 5;
}
