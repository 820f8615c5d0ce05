// The player: a reason first, then <audio> on the recording's URL (the cookie authenticates it;
// no token in the URL), seeking by HTTP Range through a position bar, and a download under
// the same reason rule. Any failure stops the audio and says why in words.
import { api, ApiError, describe, url } from './api.js';
import { clock, h, message, reasonOk } from './dom.js';

const SESSION_CHECK_MS = 3000;
const METER_MS = 100;

export function playerPanel(r, fail) {
  const durationS = (r.durationMs ?? 0) / 1000;
  const audio = h('audio', { id: 'audio', preload: 'none' });
  const reason = h('input', { id: 'reason', name: 'reason', autocomplete: 'off', maxlength: 500, size: 40 });
  const play = h('button', { type: 'button', id: 'play', class: 'primary' }, 'Play');
  const pos = h('input', {
    type: 'range',
    id: 'position',
    min: 0,
    max: durationS.toFixed(1),
    step: '0.1',
    value: 0,
    'aria-label': 'Position',
  });
  const time = h('span', { id: 'time', 'aria-live': 'off' }, `0:00 / ${clock(durationS)}`);
  const format = h(
    'select',
    { id: 'dl-format', 'aria-label': 'Download format' },
    h('option', { value: 'wav' }, 'WAV'),
    h('option', { value: 'mp3' }, 'mp3'),
  );
  const download = h('button', { type: 'button', id: 'download' }, 'Download');
  const note = h('p', { id: 'player-note', class: 'error', role: 'status' });
  let playingReason = null;
  // Buffered audio plays on without asking the server: while playing, the session is checked
  // every few seconds so a logout elsewhere, an expiry or a revocation stops it.
  let watch = null;

  function stop() {
    clearInterval(watch);
    watch = null;
    audio.pause();
    audio.removeAttribute('src');
    audio.load();
    playingReason = null;
    play.textContent = 'Play';
  }

  function needReason() {
    if (reasonOk(reason.value)) return reason.value.trim();
    note.textContent = 'State why you are listening (at least 5 characters) before playing or downloading.';
    reason.focus();
    return null;
  }

  /** The <audio> element cannot say why a request failed: ask the API, then say it. */
  async function explain() {
    stop();
    try {
      const rec = await api('GET', `/recordings/${encodeURIComponent(r.id)}`);
      note.textContent = rec.restricted
        ? describe(new ApiError(423, 'CV_ERR_API_RESTRICTED', ''))
        : 'The audio could not be played.';
    } catch (err) {
      note.textContent = describe(err);
      fail(err);
    }
  }

  play.addEventListener('click', async () => {
    if (!audio.paused) {
      clearInterval(watch);
      audio.pause();
      play.textContent = 'Play';
      return;
    }
    const why = needReason();
    if (why === null) return;
    note.textContent = '';
    if (playingReason !== why) {
      audio.src = url(`/recordings/${encodeURIComponent(r.id)}/audio`, { reason: why });
      playingReason = why;
    }
    startMeters();
    try {
      await audio.play();
      play.textContent = 'Pause';
      clearInterval(watch);
      // The recording itself, not only the session: a logout or expiry (401), a revoked or
      // expired grant (403) and an erasure (404) all stop what is buffered.
      watch = setInterval(() => {
        api('GET', `/recordings/${encodeURIComponent(r.id)}`).catch((err) => {
          stop();
          note.textContent = describe(err);
          fail(err);
        });
      }, SESSION_CHECK_MS);
    } catch {
      // 'error' on the element explains it; a stopped play() needs nothing more.
    }
  });
  audio.addEventListener('error', () => {
    if (audio.getAttribute('src')) void explain();
  });
  audio.addEventListener('timeupdate', () => {
    pos.value = String(audio.currentTime);
    time.textContent = `${clock(audio.currentTime)} / ${clock(durationS)}`;
  });
  audio.addEventListener('ended', () => {
    clearInterval(watch);
    play.textContent = 'Play';
  });
  pos.addEventListener('input', () => {
    if (audio.getAttribute('src')) audio.currentTime = Number(pos.value);
  });
  download.addEventListener('click', async () => {
    const why = needReason();
    if (why === null) return;
    note.textContent = '';
    let res;
    try {
      res = await fetch(
        url(`/recordings/${encodeURIComponent(r.id)}/audio`, { reason: why, format: format.value }),
        {
          credentials: 'same-origin',
        },
      );
    } catch {
      note.textContent = describe(null);
      return;
    }
    if (!res.ok) {
      const e = (await res.json().catch(() => null))?.error ?? {};
      const err = new ApiError(
        res.status,
        e.code ?? 'CV_ERR_UNKNOWN',
        e.message ?? '',
        `/recordings/${r.id}/audio`,
      );
      note.textContent = describe(err);
      if (res.status === 401) fail(err);
      return;
    }
    const href = URL.createObjectURL(await res.blob());
    const a = h('a', { href, download: `${r.id}.${format.value}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60_000);
    message('Download saved.', 'info');
  });

  // Stereo: two lanes, customer (left) and agent (right), each with its level while playing.
  const stereo = r.format?.channels === 2;
  const meters = stereo
    ? [
        h('meter', { id: 'lane-customer', min: 0, max: 1, value: 0 }),
        h('meter', { id: 'lane-agent', min: 0, max: 1, value: 0 }),
      ]
    : [];
  const lanes = stereo
    ? h(
        'div',
        { class: 'lanes' },
        h('label', { for: 'lane-customer' }, 'Customer (left)'),
        meters[0],
        h('label', { for: 'lane-agent' }, 'Agent (right)'),
        meters[1],
      )
    : null;
  /** The element's audio through Web Audio, split per channel for the meters; made once. */
  let graph = null;
  function startMeters() {
    if (!stereo || graph !== null) return;
    try {
      const ctx = new AudioContext();
      const src = ctx.createMediaElementSource(audio);
      const split = ctx.createChannelSplitter(2);
      const analysers = [ctx.createAnalyser(), ctx.createAnalyser()];
      src.connect(ctx.destination);
      src.connect(split);
      analysers.forEach((a, i) => split.connect(a, i));
      const buf = new Float32Array(analysers[0].fftSize);
      const timer = setInterval(() => {
        analysers.forEach((a, i) => {
          a.getFloatTimeDomainData(buf);
          let peak = 0;
          for (const x of buf) peak = Math.max(peak, Math.abs(x));
          meters[i].value = peak;
        });
      }, METER_MS);
      graph = { ctx, timer };
    } catch {
      // The meters are a display only: without Web Audio the element plays as it is.
    }
  }

  /** Leaving the page: stop, and release the audio graph (the element goes with the page). */
  function dispose() {
    stop();
    if (graph !== null) {
      clearInterval(graph.timer);
      void graph.ctx.close();
      graph = null;
    }
  }

  const node = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'p-title' },
    h('h2', { id: 'p-title' }, 'Listen'),
    h('label', { for: 'reason' }, 'Reason for listening (recorded in the audit log)'),
    h('div', { class: 'player' }, reason, play, pos, time),
    lanes,
    h('div', { class: 'buttons' }, format, download),
    note,
    audio,
  );
  return { node, stop, dispose };
}
