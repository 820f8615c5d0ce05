// One recording: metadata, quality, consent and state, the player, the DPO's actions and,
// for admin and dpo, its audit trail.
import { api } from './api.js';
import { h, message, show } from './dom.js';
import { formatDuration, formatTime } from './time.js';
import { playerPanel } from './player.js';
import { dpoPanel } from './dpo-actions.js';

function dl(pairs) {
  return h(
    'dl',
    {},
    pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]),
  );
}

function yesNo(b) {
  return b ? 'yes' : 'no';
}

/** The quality figures a listener reads per stream (media/timeline.ts StreamStats). */
const QUALITY = [
  ['packets', 'Packets'],
  ['lost', 'Lost'],
  ['late', 'Late'],
  ['jitterMs', 'Jitter (ms)'],
  ['mos', 'MOS'],
  ['codec', 'Codec'],
];

function figure(v) {
  return typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : (v ?? '—');
}

/** Quality per stream (loss, jitter, MOS), from what the recorder measured; imports have none. */
function qualityPanel(stats) {
  const panel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'q-title' },
    h('h2', { id: 'q-title' }, 'Quality'),
  );
  const per = stats && typeof stats === 'object' ? stats.streams : null;
  const streams = per && typeof per === 'object' ? Object.entries(per) : [];
  if (streams.length === 0) {
    panel.append(h('p', {}, 'No media statistics (an imported recording, or none measured).'));
    return panel;
  }
  panel.append(
    h(
      'table',
      { id: 'quality' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Stream'),
          QUALITY.map(([, t]) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        streams.map(([label, s]) =>
          h(
            'tr',
            {},
            h('td', {}, label),
            QUALITY.map(([k]) => h('td', {}, figure(s?.[k]))),
          ),
        ),
      ),
    ),
    stats.endReason ? h('p', {}, `Call ended: ${stats.endReason}`) : null,
  );
  return panel;
}

async function auditPanel(id, zone, fail) {
  const panel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'a-title' },
    h('h2', { id: 'a-title' }, 'Audit trail'),
  );
  try {
    const { entries } = await api('GET', '/audit?limit=1000');
    const mine = entries.filter((e) => e.recordingId === id);
    panel.append(
      mine.length === 0
        ? h('p', {}, 'No access recorded yet.')
        : h(
            'table',
            { id: 'audit' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Time', 'Who', 'Role', 'Action', 'Reason'].map((t) => h('th', { scope: 'col' }, t)),
              ),
            ),
            h(
              'tbody',
              {},
              mine.map((e) =>
                h(
                  'tr',
                  {},
                  h('td', {}, formatTime(e.ts, zone)),
                  h('td', {}, e.actor),
                  h('td', {}, e.role),
                  h('td', {}, e.action),
                  h('td', {}, e.reason ?? ''),
                ),
              ),
            ),
          ),
    );
  } catch (err) {
    fail(err);
  }
  return panel;
}

/** Renders the page; resolves to the function that stops its audio when the page is left. */
export async function recordingPage({ view, me, fail }, id) {
  const zone = me.timeZone;
  let r;
  try {
    r = await api('GET', `/recordings/${encodeURIComponent(id)}`);
  } catch (err) {
    fail(err);
    show(view, h('p', {}, h('a', { href: '#/search' }, 'Back to the search')));
    return () => {};
  }
  message('');
  const meta = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'm-title' },
    h('h2', { id: 'm-title' }, 'Call'),
    dl([
      ['Start', formatTime(r.startedAt, zone)],
      ['End', formatTime(r.endedAt, zone)],
      ['Length', formatDuration(r.durationMs)],
      ['Direction', r.direction],
      ['Customer', r.numberWithheld ? 'withheld' : r.number],
      ['Agent', [r.agentName, r.agent].filter(Boolean).join(' ')],
      ['Service', r.service],
      ['Codec', r.codec],
      [
        'Format',
        `${r.format?.encoding ?? '?'} ${r.format?.sampleRate ?? '?'} Hz, ${r.format?.channels ?? '?'} ch`,
      ],
      ['Policy', r.policy],
      ['Kept until', formatTime(r.expiresAt, zone)],
      ['State', r.state],
    ]),
  );
  const state = h(
    'section',
    { class: 'panel', 'aria-labelledby': 's-title' },
    h('h2', { id: 's-title' }, 'Consent and state'),
    dl([
      ['Consent', r.consent],
      [
        'Consent evidence',
        r.consentEvidence ? `${r.consentEvidence.via} ${formatTime(r.consentEvidence.at, zone)}` : null,
      ],
      ['Legal hold', yesNo(r.legalHold)],
      ['Restricted', yesNo(r.restricted)],
      ['Case', r.caseId],
      ['Case closed', r.caseClosedAt ? formatTime(r.caseClosedAt, zone) : null],
    ]),
  );
  const player = playerPanel(r, fail);
  const parts = [
    h('h1', {}, `${(r.flags ?? []).includes('training') ? 'Training copy' : 'Recording'} ${r.id}`),
    h('p', {}, h('a', { href: '#/search' }, '← Back to the search')),
    player.node,
    h('div', { class: 'cols' }, meta, state),
    qualityPanel(r.stats),
  ];
  if (me.role === 'dpo') parts.push(dpoPanel(r, fail, player.stop));
  show(view, ...parts);
  if (me.role === 'admin' || me.role === 'dpo') view.append(await auditPanel(r.id, zone, fail));
  return player.dispose;
}
