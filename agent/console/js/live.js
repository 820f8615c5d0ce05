// Calls in progress and live listening: the page reads the appliance's open-ended WAV stream
// with fetch (the cookie authenticates it) and plays it through Web Audio, a few hundred ms
// behind the call. It also shows what it receives (seconds, tone per channel) so a supervisor
// can tell silence from a broken stream.
import { api, ApiError, describe, url } from './api.js';
import { h, message, reasonOk, show } from './dom.js';
import { formatTime } from './time.js';

const REFRESH_MS = 2000;
/** Audio scheduled ahead of the playback clock, to ride out network jitter. */
const LEAD_S = 0.15;

/** Crossings of a ±2 % band around zero (hysteresis: codec noise near zero does not count). */
function crossings(samples, from, to) {
  const band = 0.02;
  let side = 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    const x = samples[i];
    const now = x > band ? 1 : x < -band ? -1 : side;
    if (side !== 0 && now !== side) n++;
    side = now;
  }
  return n;
}

/**
 * The tone of one channel over its last second, roughly: the median over 100 ms blocks of half
 * the crossings per second, so a glitch (a concealed packet, a dropped pass) moves one block only.
 */
function toneHz(samples, rate) {
  const block = Math.round(rate / 10);
  const perBlock = [];
  for (let at = 0; at + block <= samples.length; at += block)
    perBlock.push(crossings(samples, at, at + block) / 2 / (block / rate));
  if (perBlock.length === 0) return 0;
  perBlock.sort((a, b) => a - b);
  return Math.round(perBlock[Math.floor(perBlock.length / 2)]);
}

function listener(call, reason, status, onStop) {
  const ctrl = new AbortController();
  let ctx = null;
  let stopped = false;
  const stop = (why, err) => {
    if (stopped) return;
    stopped = true;
    ctrl.abort();
    if (ctx) void ctx.close();
    onStop(why, err);
  };
  (async () => {
    let res;
    try {
      res = await fetch(url(`/calls/${encodeURIComponent(call.id)}/listen`, { reason }), {
        credentials: 'same-origin',
        signal: ctrl.signal,
      });
    } catch {
      return stop(stopped ? '' : describe(null));
    }
    if (!res.ok) {
      const e = (await res.json().catch(() => null))?.error ?? {};
      const err = new ApiError(res.status, e.code ?? 'CV_ERR_UNKNOWN', e.message ?? '');
      return stop(res.status === 410 ? 'The call has ended.' : describe(err), err);
    }
    ctx = new AudioContext();
    const reader = res.body.getReader();
    let header = null;
    let pending = new Uint8Array(0);
    let next = 0;
    let received = 0;
    const recent = [[], []];
    let channels = 1;
    let rate = 8000;
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch {
        return stop(stopped ? '' : 'The live stream was interrupted.');
      }
      if (chunk.done) return stop('The call has ended.');
      const joined = new Uint8Array(pending.length + chunk.value.length);
      joined.set(pending);
      joined.set(chunk.value, pending.length);
      let bytes = joined;
      if (header === null) {
        if (bytes.length < 44) {
          pending = bytes;
          continue;
        }
        const v = new DataView(bytes.buffer, bytes.byteOffset, 44);
        channels = v.getUint16(22, true);
        rate = v.getUint32(24, true);
        header = true;
        bytes = bytes.subarray(44);
      }
      const frameBytes = 2 * channels;
      const whole = bytes.length - (bytes.length % frameBytes);
      pending = bytes.slice(whole);
      const frames = whole / frameBytes;
      if (frames === 0) continue;
      const v = new DataView(bytes.buffer, bytes.byteOffset, whole);
      const buf = ctx.createBuffer(channels, frames, rate);
      for (let c = 0; c < channels; c++) {
        const out = buf.getChannelData(c);
        for (let i = 0; i < frames; i++) out[i] = v.getInt16((i * channels + c) * 2, true) / 32768;
        recent[c] = [...recent[c], ...out].slice(-rate);
      }
      const src = ctx.createBufferSource();
      src.buffer = buf;
      src.connect(ctx.destination);
      next = Math.max(next, ctx.currentTime + LEAD_S);
      src.start(next);
      next += buf.duration;
      received += frames / rate;
      const tones = recent.slice(0, channels).map((s) => `${toneHz(s, rate)} Hz`);
      status.textContent = `Receiving: ${received.toFixed(1)} s; tone ${tones.join(' / ')}`;
      status.dataset.receivedS = received.toFixed(2);
      status.dataset.toneHz = recent
        .slice(0, channels)
        .map((s) => toneHz(s, rate))
        .join(',');
    }
  })();
  return stop;
}

export function livePage({ view, me, fail }) {
  const zone = me.timeZone;
  const reason = h('input', {
    id: 'live-reason',
    name: 'reason',
    autocomplete: 'off',
    maxlength: 500,
    size: 40,
  });
  const list = h('section', { 'aria-label': 'Calls in progress', 'aria-live': 'polite' });
  const status = h('p', { id: 'live-status', role: 'status' });
  let stopListening = null;
  let listeningTo = null;

  function stopped(why, err) {
    stopListening = null;
    listeningTo = null;
    if (err instanceof ApiError && err.status === 401) fail(err);
    else if (why) message(why, why === 'The call has ended.' ? 'info' : 'error');
    void refresh();
  }

  async function refresh() {
    let items;
    try {
      ({ items } = await api('GET', '/calls'));
    } catch (err) {
      clearInterval(timer);
      if (stopListening) stopListening('');
      fail(err);
      return;
    }
    const rows = items.map((c) => {
      const on = listeningTo === c.id;
      const b = h(
        'button',
        { type: 'button', class: on ? '' : 'primary', disabled: !c.listenable && !on },
        on ? 'Stop' : 'Listen',
      );
      b.addEventListener('click', () => {
        if (stopListening) {
          stopListening('');
          if (on) return;
        }
        if (!reasonOk(reason.value)) {
          message('State why you are listening (at least 5 characters) first.');
          reason.focus();
          return;
        }
        message('');
        listeningTo = c.id;
        stopListening = listener(c, reason.value.trim(), status, stopped);
        void refresh();
      });
      return h(
        'tr',
        {},
        h('td', {}, formatTime(c.startedAt, zone)),
        h('td', {}, c.numberWithheld ? 'withheld' : (c.number ?? 'unknown')),
        h('td', {}, [c.agentName, c.agent].filter(Boolean).join(' ') || 'unknown'),
        h('td', {}, c.service ?? '—'),
        h('td', {}, c.listenable ? '' : 'awaiting consent'),
        h('td', {}, b),
      );
    });
    list.replaceChildren(
      rows.length === 0
        ? h('p', {}, 'No calls in progress.')
        : h(
            'table',
            { id: 'live-calls' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Started', 'Customer', 'Agent', 'Service', '', ''].map((t) => h('th', { scope: 'col' }, t)),
              ),
            ),
            h('tbody', {}, rows),
          ),
    );
  }

  show(
    view,
    h('h1', {}, 'Live calls'),
    h(
      'div',
      { class: 'panel' },
      h('label', { for: 'live-reason' }, 'Reason for listening (recorded in the audit log)'),
      reason,
      status,
    ),
    list,
  );
  void refresh();
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  return () => {
    clearInterval(timer);
    if (stopListening) stopListening('');
  };
}
