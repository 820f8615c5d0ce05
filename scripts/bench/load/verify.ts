/**
 * After a load run: what the daemon recorded. Totals come from every recording's index
 * record (per-stream stats written at finalise); a sample is exported through the real CLI
 * (`callvaultctl export --reason`) and checked for the right tone per channel and duration.
 * Call the functions only when the daemon has stopped (the index admits one process).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../../agent/src/common/index.js';
import { loadConfig } from '../../../agent/src/config/index.js';
import { openStorage } from '../../../agent/src/storage/index.js';
import { channelFrequency, durationSeconds, readWav, type WavInfo } from '../../../test/helpers/audio.js';

/** Tone of stream `label` (1 = caller, left; 2 = agent, right) of call `index` (Hz). */
export function toneFor(index: number, label: 1 | 2): number {
  return (label === 1 ? 300 : 1000) + 10 * (index % 40);
}

export interface RecordedCall {
  readonly id: string;
  readonly durationMs: number;
  /** Packets accepted per stream label. */
  readonly packets: Readonly<Record<string, number>>;
  readonly lost: number;
  readonly late: number;
}

export interface RecordedTotals {
  readonly recordings: number;
  readonly packets: number;
  /** RFC 3550 loss summed over streams (gaps only: sent − packets also counts tail loss). */
  readonly lost: number;
  readonly late: number;
  /** Keyed by the call index carried in the agent identity (see sip-wire.ts agentFor). */
  readonly byCall: ReadonlyMap<number, RecordedCall>;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export async function readRecordings(
  configFile: string,
  sets: readonly string[],
  cwd: string,
): Promise<RecordedTotals> {
  const config = loadConfig({ file: configFile, sets, cwd });
  const storage = await openStorage({ config, log: silentLogger() });
  const byCall = new Map<number, RecordedCall>();
  let packets = 0;
  let lost = 0;
  let late = 0;
  let recordings = 0;
  try {
    let cursor: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const r = await storage.index.search({ service: 'load', limit: 1000, cursor, order: 'asc' });
      for (const rec of r.items) {
        recordings++;
        const streams = (rec.stats?.['streams'] ?? {}) as Record<string, Record<string, unknown>>;
        const per: Record<string, number> = {};
        let l = 0;
        let lt = 0;
        for (const [label, st] of Object.entries(streams)) {
          per[label] = num(st['packets']);
          packets += per[label];
          l += num(st['lost']);
          lt += num(st['late']);
        }
        lost += l;
        late += lt;
        const m = /^7(\d{6})$/.exec(rec.agent ?? '');
        if (m !== null)
          byCall.set(Number(m[1]), {
            id: rec.id,
            durationMs: rec.durationMs,
            packets: per,
            lost: l,
            late: lt,
          });
      }
      if (r.nextCursor === null) break;
      cursor = r.nextCursor;
    }
  } finally {
    await storage.close();
  }
  return { recordings, packets, lost, late, byCall };
}

export interface SampleCheck {
  readonly index: number;
  readonly id: string;
  readonly ok: boolean;
  readonly expectedHz: readonly number[];
  readonly measuredHz: readonly number[];
  readonly durationS: number;
  readonly expectedDurationS: number;
  /** Seconds of tone per channel (first to last audible 20 ms frame). */
  readonly audibleS: readonly number[];
  /**
   * Per channel: where the tone starts in the recording minus where the RTP started (s).
   * About 0 when the daemon keeps up; its event-loop backlog when it does not.
   */
  readonly placementOffsetS: readonly number[];
  readonly problem: string | null;
}

export interface SampleCall {
  readonly index: number;
  readonly answeredAtMs: number;
  readonly endedAtMs: number;
}

/** First and last 20 ms frame of a channel whose RMS is above silence, or null. */
export function audibleSpan(wav: WavInfo, channel: number): { fromS: number; toS: number } | null {
  const frameSamples = Math.round(wav.sampleRate / 50);
  const stride = wav.channels * 2;
  const frames = Math.floor(wav.data.length / stride / frameSamples);
  let first = -1;
  let last = -1;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let i = 0; i < frameSamples; i++) {
      const v = wav.data.readInt16LE((f * frameSamples + i) * stride + channel * 2);
      sum += v * v;
    }
    // The tones are sent at amplitude 8000 (RMS about 5600): 500 separates them from silence.
    if (Math.sqrt(sum / frameSamples) > 500) {
      if (first < 0) first = f;
      last = f;
    }
  }
  return first < 0 ? null : { fromS: first / 50, toS: (last + 1) / 50 };
}

/** What the tone check found in one exported recording (pure: the WAV and the plan in). */
export function checkWav(
  wav: WavInfo,
  expectedHz: readonly number[],
  expectedRtpS: number,
  rtpStartInRecordingS: number,
): Pick<SampleCheck, 'measuredHz' | 'durationS' | 'audibleS' | 'placementOffsetS'> & { problems: string[] } {
  const problems: string[] = [];
  if (wav.channels !== 2) problems.push(`channels ${wav.channels}`);
  // Where the tone is, rather than where it should be: a daemon that falls behind places
  // audio late (the first packet anchors at its processing time); that is reported apart.
  const spans = wav.channels === 2 ? [0, 1].map((ch) => audibleSpan(wav, ch)) : [];
  const measuredHz = spans.map((sp, ch) =>
    sp === null || sp.toS - sp.fromS < 0.5 ? 0 : channelFrequency(wav, ch, sp.fromS + 0.2, sp.toS - 0.2),
  );
  const audibleS = spans.map((sp) => (sp === null ? 0 : sp.toS - sp.fromS));
  const placementOffsetS = spans.map((sp) => (sp === null ? NaN : sp.fromS - rtpStartInRecordingS));
  measuredHz.forEach((f, ch) => {
    if (Math.abs(f - expectedHz[ch]!) > 3)
      problems.push(`channel ${ch}: ${f} Hz, expected ${expectedHz[ch]}`);
    if (Math.abs(audibleS[ch]! - expectedRtpS) > 1)
      problems.push(
        `channel ${ch}: ${audibleS[ch]!.toFixed(2)} s of tone, expected about ${expectedRtpS.toFixed(2)}`,
      );
  });
  return { measuredHz, durationS: durationSeconds(wav), audibleS, placementOffsetS, problems };
}

/**
 * Exports each sampled recording with the CLI and checks: stereo, left = the caller's tone,
 * right = the agent's (within 3 Hz), as many seconds of tone as RTP was sent (within 1 s),
 * and a recording duration within 2 s of answer to BYE.
 */
export function checkSample(
  o: { root: string; configFile: string; sets: readonly string[]; workDir: string },
  recorded: RecordedTotals,
  sample: readonly SampleCall[],
  rtp: { startMs: number; endMs: number },
): SampleCheck[] {
  const ctl = join(o.root, 'bin', 'callvaultctl.js');
  const out: SampleCheck[] = [];
  for (const c of sample) {
    const rec = recorded.byCall.get(c.index);
    const expectedHz = [toneFor(c.index, 1), toneFor(c.index, 2)];
    const expectedDurationS = (c.endedAtMs - c.answeredAtMs) / 1000;
    const base = { index: c.index, id: rec?.id ?? '', expectedHz, expectedDurationS };
    const failed = (problem: string): SampleCheck => ({
      ...base,
      ok: false,
      measuredHz: [],
      durationS: 0,
      audibleS: [],
      placementOffsetS: [],
      problem,
    });
    if (rec === undefined) {
      out.push(failed('no recording'));
      continue;
    }
    const file = join(o.workDir, `sample-${c.index}.wav`);
    const args = [ctl, '--config', o.configFile, ...o.sets.flatMap((s) => ['--set', s])];
    const r = spawnSync(
      process.execPath,
      [...args, 'export', rec.id, '-o', file, '--reason', 'load benchmark check'],
      {
        cwd: o.root,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    if (r.status !== 0) {
      out.push(failed(`export exit ${r.status}: ${(r.stderr ?? '').slice(-300)}`));
      continue;
    }
    const wav = readWav(readFileSync(file));
    rmSync(file, { force: true });
    const { problems, ...found } = checkWav(
      wav,
      expectedHz,
      (rtp.endMs - rtp.startMs) / 1000,
      (rtp.startMs - c.answeredAtMs) / 1000,
    );
    if (Math.abs(found.durationS - expectedDurationS) > 2)
      problems.push(
        `duration ${found.durationS.toFixed(2)} s, expected about ${expectedDurationS.toFixed(2)}`,
      );
    out.push({
      ...base,
      ...found,
      ok: problems.length === 0,
      problem: problems.length === 0 ? null : problems.join('; '),
    });
  }
  return out;
}
