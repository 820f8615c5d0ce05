// The DPO's grants: who (qa or supervisor) may see training copies until when, and why. Listed in
// force (expired ones on demand: a revoked grant is deleted, the audit log keeps it), added and
// revoked through POST/DELETE /grants, each confirmed with the reason the API records.
import { api } from './api.js';
import { h, message, show } from './dom.js';
import { confirmAction } from './confirm.js';
import { formatTime, zonedInput, zonedToIso } from './time.js';

const WEEK_MS = 7 * 24 * 3600 * 1000;

export function grantsPage({ view, me, fail }) {
  const zone = me.timeZone;
  const showAll = h('input', { type: 'checkbox', id: 'grants-all', name: 'all' });
  const list = h('section', { 'aria-live': 'polite', 'aria-label': 'Grants' });
  const form = h(
    'form',
    { class: 'panel', id: 'grant-form', 'aria-labelledby': 'grant-add-title' },
    h('h2', { id: 'grant-add-title' }, 'Add a grant'),
    h(
      'div',
      { class: 'grid' },
      h(
        'div',
        {},
        h('label', { for: 'grant-user' }, 'User (a qa or supervisor account)'),
        h('input', { id: 'grant-user', name: 'user', required: true, autocomplete: 'off' }),
      ),
      h(
        'div',
        {},
        h('label', { for: 'grant-until' }, `Until (${zone})`),
        // A week from now as the suggestion: a grant is meant to end.
        h('input', {
          id: 'grant-until',
          name: 'until',
          type: 'datetime-local',
          required: true,
          value: zonedInput(Date.now() + WEEK_MS, zone),
        }),
      ),
    ),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Grant…')),
  );

  async function load() {
    try {
      const { grants } = await api('GET', showAll.checked ? '/grants?all=true' : '/grants');
      render(grants);
    } catch (err) {
      fail(err);
    }
  }

  function revokeButton(g) {
    const b = h(
      'button',
      { type: 'button', 'aria-label': `Revoke the grant of ${g.user}`, class: 'revoke' },
      'Revoke…',
    );
    b.addEventListener('click', async () => {
      const reason = await confirmAction({
        title: `Revoke the grant of ${g.user}`,
        text: `${g.user} loses access to training copies at the next request.`,
      });
      if (reason === null) return;
      try {
        await api('DELETE', `/grants/${encodeURIComponent(g.id)}`, { reason });
        message(`Grant of ${g.user} revoked.`, 'info');
        await load();
      } catch (err) {
        fail(err);
      }
    });
    return b;
  }

  function render(grants) {
    list.replaceChildren(
      grants.length === 0
        ? h('p', { id: 'grants-none' }, showAll.checked ? 'No grants.' : 'No grant in force.')
        : h(
            'table',
            { id: 'grants' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['User', 'Until', 'Granted by', 'Reason', 'Sees', 'State', ''].map((t) =>
                  h('th', { scope: 'col' }, t),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              grants.map((g) =>
                h(
                  'tr',
                  { 'data-grant': g.id },
                  h('td', {}, g.user),
                  h('td', {}, formatTime(g.until, zone)),
                  h('td', {}, g.grantedBy),
                  h('td', {}, g.reason ?? ''),
                  h('td', {}, g.pseudonymised ? 'training copies' : 'training copies and calls'),
                  h('td', {}, g.inForce ? 'in force' : 'expired'),
                  h('td', {}, g.inForce ? revokeButton(g) : null),
                ),
              ),
            ),
          ),
    );
  }

  showAll.addEventListener('change', () => void load());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const user = form.elements.user.value.trim();
    const until = zonedToIso(form.elements.until.value, zone);
    if (!user || until === undefined) {
      message('Enter the user and the end of the grant.');
      return;
    }
    const reason = await confirmAction({
      title: `Grant ${user} access`,
      text: `${user} may see training copies until ${formatTime(until, zone)}.`,
    });
    if (reason === null) return;
    try {
      await api('POST', '/grants', { user, until, reason });
      message(`Grant for ${user} added.`, 'info');
      form.elements.user.value = '';
      await load();
    } catch (err) {
      fail(err);
    }
  });

  show(
    view,
    h('h1', { id: 'grants-title' }, 'Grants'),
    h('p', {}, 'A grant lets a qa or supervisor account see pseudonymised training copies until it ends.'),
    form,
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'grants-list-title' },
      h('h2', { id: 'grants-list-title' }, 'Grants'),
      h('div', { class: 'checks' }, showAll, h('label', { for: 'grants-all' }, 'Show expired grants too')),
      list,
    ),
  );
  void load();
}
