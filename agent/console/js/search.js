// Search: any spelling of a number, agent, service, case, a date range in the appliance's
// zone, direction, quality (MOS at or below, no media, one-way) and flags; pages of 20 newest
// first, each row with its quality badge.
import { api, url } from './api.js';
import { h, message, show } from './dom.js';
import { formatDuration, formatTime, zonedToIso } from './time.js';

const PAGE = 20;
/** The last search, so coming back from a recording shows the same list. */
let last = null;

function input(id, text, attrs = {}) {
  return h('div', {}, h('label', { for: id }, text), h('input', { id, name: id, ...attrs }));
}

function flags(r) {
  return [
    r.legalHold ? h('span', { class: 'badge hold' }, 'hold') : null,
    r.restricted ? h('span', { class: 'badge restricted' }, 'restricted') : null,
    r.caseId ? h('span', { class: 'badge' }, 'case') : null,
  ];
}

/**
 * The call's quality in one badge: a stream without RTP is a flag (no media, one-way), not a
 * MOS of 0; otherwise the MOS of the worst stream (imports have none).
 */
function qualityBadge(r) {
  const f = r.flags ?? [];
  if (f.includes('no_media')) return h('span', { class: 'badge q-bad' }, 'no media');
  if (f.includes('one_way')) return h('span', { class: 'badge q-bad' }, 'one-way');
  const mos = r.quality?.mos;
  if (typeof mos !== 'number') return '—';
  // ITU-T G.107 bands: 4.0 and above satisfied, under 3.6 many users dissatisfied.
  const band = mos >= 4 ? 'q-good' : mos >= 3.6 ? 'q-fair' : 'q-bad';
  return h('span', { class: `badge ${band}`, title: 'MOS of the worst stream' }, `MOS ${mos.toFixed(2)}`);
}

function parties(r) {
  const customer = r.numberWithheld ? 'withheld' : (r.number ?? 'unknown');
  const agent = [r.agentName, r.agent].filter(Boolean).join(' ') || 'unknown';
  return `${customer} ↔ ${agent}`;
}

export function searchPage({ view, me, fail }) {
  const zone = me.timeZone;
  const form = h(
    'form',
    { class: 'panel', 'aria-labelledby': 'search-title' },
    h('h1', { id: 'search-title' }, 'Search recordings'),
    h(
      'div',
      { class: 'grid' },
      input('number', 'Number (any spelling)', { placeholder: '070-123 45 67' }),
      me.role === 'agent'
        ? input('agent', 'Agent', { value: me.agentId ?? '', readonly: true })
        : input('agent', 'Agent'),
      input('service', 'Service'),
      input('caseId', 'Case'),
      input('from', `From (${zone})`, { type: 'datetime-local' }),
      input('to', `To (${zone})`, { type: 'datetime-local' }),
      h(
        'div',
        {},
        h('label', { for: 'direction' }, 'Direction'),
        h(
          'select',
          { id: 'direction', name: 'direction' },
          h('option', { value: '' }, 'any'),
          h('option', { value: 'inbound' }, 'inbound'),
          h('option', { value: 'outbound' }, 'outbound'),
        ),
      ),
      input('maxMos', 'MOS at or below (1–5)', {
        type: 'number',
        min: 1,
        max: 5,
        step: '0.01',
        inputmode: 'decimal',
      }),
      h(
        'div',
        {},
        h('label', { for: 'flag' }, 'Media'),
        h(
          'select',
          { id: 'flag', name: 'flag' },
          h('option', { value: '' }, 'any'),
          h('option', { value: 'no_media' }, 'no media'),
          h('option', { value: 'one_way' }, 'one-way'),
        ),
      ),
      h(
        'div',
        { class: 'checks' },
        h('input', { type: 'checkbox', id: 'f-hold', name: 'hold' }),
        h('label', { for: 'f-hold' }, 'on hold'),
        h('input', { type: 'checkbox', id: 'f-restricted', name: 'restricted' }),
        h('label', { for: 'f-restricted' }, 'restricted'),
      ),
    ),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Search')),
  );
  const results = h('section', { 'aria-live': 'polite', 'aria-label': 'Results' });
  show(view, form, results);

  async function run(state) {
    last = state;
    try {
      const q = { ...state.query, limit: String(PAGE) };
      if (state.cursor) q.cursor = state.cursor;
      const page = await api('GET', url('/recordings', q).slice('/api/v1'.length));
      // Hold and restriction are flags of the record: filtered on the page shown.
      const items = page.items.filter(
        (r) => (!state.hold || r.legalHold) && (!state.restricted || r.restricted),
      );
      render(items, page.nextCursor, state);
    } catch (err) {
      fail(err);
    }
  }

  function render(items, nextCursor, state) {
    const rows = items.map((r) =>
      h(
        'tr',
        {},
        h('td', {}, formatTime(r.startedAt, zone)),
        h('td', {}, formatDuration(r.durationMs)),
        h('td', {}, parties(r)),
        h('td', {}, r.service ?? '—'),
        h('td', {}, r.direction),
        h('td', { class: 'quality' }, qualityBadge(r)),
        h('td', {}, flags(r)),
        h(
          'td',
          {},
          h(
            'a',
            {
              href: `#/recording/${encodeURIComponent(r.id)}`,
              // "Open" alone is ambiguous in a screen reader's list of links.
              'aria-label': `Open the call of ${formatTime(r.startedAt, zone)}`,
            },
            'Open',
          ),
        ),
      ),
    );
    const prev = h('button', { type: 'button', disabled: state.back.length === 0 }, 'Previous page');
    const next = h('button', { type: 'button', disabled: nextCursor === null }, 'Next page');
    prev.addEventListener('click', () => {
      const back = state.back.slice(0, -1);
      void run({ ...state, cursor: state.back.at(-1), back });
    });
    next.addEventListener('click', () => {
      void run({ ...state, cursor: nextCursor, back: [...state.back, state.cursor] });
    });
    results.replaceChildren(
      items.length === 0
        ? h('p', {}, 'No recordings match.')
        : h(
            'table',
            { id: 'results' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Start', 'Length', 'Parties', 'Service', 'Direction', 'Quality', 'Flags', ''].map((t) =>
                  h('th', { scope: 'col' }, t),
                ),
              ),
            ),
            h('tbody', {}, rows),
          ),
      h('div', { class: 'pager' }, prev, next, h('span', {}, `${items.length} shown`)),
    );
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    message('');
    const query = {};
    for (const k of ['number', 'agent', 'service', 'caseId', 'direction', 'maxMos', 'flag']) {
      const v = form.elements[k].value.trim();
      if (v) query[k] = v;
    }
    for (const k of ['from', 'to']) {
      const v = form.elements[k].value;
      if (v) query[k] = zonedToIso(v, zone);
    }
    void run({
      query,
      cursor: undefined,
      back: [],
      hold: form.elements.hold.checked,
      restricted: form.elements.restricted.checked,
    });
  });
  if (last !== null) void run(last);
}
