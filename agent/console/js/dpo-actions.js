// The DPO's actions on one recording, each through the API endpoint that exists for it, each
// confirmed, with a reason where the API records one (case link and close take none).
import { api } from './api.js';
import { h, message } from './dom.js';
import { confirmAction } from './confirm.js';

function reload() {
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function dpoPanel(r, fail, stopAudio) {
  const path = `/recordings/${encodeURIComponent(r.id)}`;
  const act = (label, id, run) => {
    const b = h('button', { type: 'button', id }, label);
    b.addEventListener('click', async () => {
      try {
        if ((await run()) !== false) reload();
      } catch (err) {
        fail(err);
      }
    });
    return b;
  };
  const hold = act(r.legalHold ? 'Release legal hold' : 'Put on legal hold', 'act-hold', async () => {
    const reason = await confirmAction({
      title: r.legalHold ? 'Release the legal hold' : 'Put the recording on legal hold',
      text: r.legalHold
        ? 'Retention may delete it again when its time comes.'
        : 'Retention and erasure will keep it.',
    });
    if (reason === null) return false;
    await api('POST', `${path}/legal-hold`, { hold: !r.legalHold, reason });
    message(r.legalHold ? 'Legal hold released.' : 'Legal hold set.', 'info');
  });
  const restrict = act(
    r.restricted ? 'Lift restriction' : 'Restrict processing',
    'act-restrict',
    async () => {
      const reason = await confirmAction({
        title: r.restricted ? 'Lift the restriction' : 'Restrict processing',
        text: r.restricted
          ? 'Listening and export become possible again.'
          : 'Nobody can listen to or export it.',
      });
      if (reason === null) return false;
      await api('POST', `${path}/restriction`, { restricted: !r.restricted, reason });
      message(r.restricted ? 'Restriction lifted.' : 'Processing restricted.', 'info');
    },
  );
  const caseInput = h('input', { id: 'case-id', name: 'caseId', value: r.caseId ?? '', size: 16 });
  const link = act('Link to case', 'act-case', async () => {
    const caseId = caseInput.value.trim();
    if (!caseId) {
      message('Enter a case id first.');
      return false;
    }
    if (
      (await confirmAction({
        title: 'Link to case',
        text: `Link this recording to case ${caseId}.`,
        needsReason: false,
      })) === null
    )
      return false;
    await api('PUT', `${path}/case`, { caseId });
    message('Linked to the case.', 'info');
  });
  const close = r.caseId
    ? act('Close case', 'act-close', async () => {
        if (
          (await confirmAction({
            title: 'Close the case',
            text: `Close case ${r.caseId}: its recordings' case retention starts now.`,
            needsReason: false,
          })) === null
        )
          return false;
        await api('POST', `/cases/${encodeURIComponent(r.caseId)}/close`, {});
        message('Case closed.', 'info');
      })
    : null;
  const erase = act('Erase…', 'act-erase', async () => {
    const reason = await confirmAction({
      title: 'Erase this recording',
      text: 'The audio and its metadata are destroyed for good. This cannot be undone.',
    });
    if (reason === null) return false;
    stopAudio();
    await api('DELETE', path, { reason });
    message('Recording erased.', 'info');
    location.hash = '#/search';
    return false;
  });
  // Where the new copy's link appears (it is a recording of its own, with its own page).
  const copied = h('p', { id: 'training-result', role: 'status' });
  const isCopy = (r.flags ?? []).includes('training');
  const training = isCopy
    ? null
    : act('Make a training copy…', 'act-training', async () => {
        const reason = await confirmAction({
          title: 'Make a pseudonymised training copy',
          text:
            'A new recording without number, names or identifiers, keypad tones silenced. ' +
            'qa and supervisors see it only while you grant them access.',
        });
        if (reason === null) return false;
        const copy = await api('POST', `${path}/training-copy`, { reason });
        message('Training copy made.', 'info');
        copied.replaceChildren(
          'Training copy: ',
          h('a', { href: `#/recording/${encodeURIComponent(copy.id)}`, id: 'training-link' }, copy.id),
        );
        return false;
      });
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'd-title' },
    h('h2', { id: 'd-title' }, 'Data protection'),
    h('div', { class: 'buttons' }, hold, restrict, erase, training),
    copied,
    h('div', { class: 'buttons' }, h('label', { for: 'case-id' }, 'Case'), caseInput, link, close),
  );
}
