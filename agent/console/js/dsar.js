// The DPO's data-subject export: every recording of one number (any spelling) as one archive.
import { ApiError, describe, url } from './api.js';
import { h, message, reasonOk, show } from './dom.js';
import { confirmAction } from './confirm.js';

export function dsarPage({ view, fail }) {
  const form = h(
    'form',
    { class: 'panel', 'aria-labelledby': 'dsar-title' },
    h('h1', { id: 'dsar-title' }, 'Data-subject export'),
    h('p', {}, 'One archive (manifest.json and the audio) with every recording of a number.'),
    h('label', { for: 'dsar-number' }, 'Number (any spelling)'),
    h('input', { id: 'dsar-number', name: 'number', required: true }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Export…')),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const number = form.number.value.trim();
    if (!number) return;
    const reason = await confirmAction({
      title: 'Export a data subject’s recordings',
      text: 'The archive holds personal data. Note how the requester’s identity was checked.',
    });
    if (reason === null || !reasonOk(reason)) return;
    // Fetched first (with the cookie), so a refusal is a message and not a saved error page.
    message('Exporting…', 'info');
    let res;
    try {
      res = await fetch(url(`/subjects/${encodeURIComponent(number)}/export`, { reason }), {
        credentials: 'same-origin',
      });
    } catch {
      message(describe(null));
      return;
    }
    if (!res.ok) {
      const e = (await res.json().catch(() => null))?.error ?? {};
      fail(new ApiError(res.status, e.code ?? 'CV_ERR_UNKNOWN', e.message ?? ''));
      return;
    }
    const blob = await res.blob();
    const href = URL.createObjectURL(blob);
    const a = h('a', { href, download: 'dsar.tar' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60_000);
    message(`Export saved as dsar.tar (${blob.size} bytes).`, 'info');
  });
  show(view, form);
}
