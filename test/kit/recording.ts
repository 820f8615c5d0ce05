/**
 * Checks on what the daemon recorded: the recording id it logged for a call, the finished index
 * record (`recordings show --json`), the exported WAV and its per-channel level, and the
 * recorded length against the call the SBC saw.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWav, type WavInfo } from '../helpers/audio.js';
import { ctl } from '../helpers/daemon.js';
import { sleep } from '../helpers/until.js';
import type { SiprecCall } from './call.js';

/** RMS of one PCM16 channel over [fromS, toS): silence is ~0, the test tones are thousands. */
export function channelRms(wav: WavInfo, channel: number, fromS: number, toS: number): number {
  const frame = wav.channels * 2;
  const a = Math.max(0, Math.floor(fromS * wav.sampleRate));
  const b = Math.min(Math.floor(wav.data.length / frame), Math.floor(toS * wav.sampleRate));
  let sum = 0;
  for (let i = a; i < b; i++) sum += wav.data.readInt16LE(i * frame + channel * 2) ** 2;
  return b > a ? Math.sqrt(sum / (b - a)) : 0;
}

/** The recording id the daemon logged for `callId` ("call answered"), or null. */
export function recordingIdFromLogs(logs: string, callId: string): string | null {
  for (const line of logs.split('\n')) {
    if (!line.includes('"call answered"') || !line.includes(callId)) continue;
    try {
      const o = JSON.parse(line) as { callId?: string; recordingId?: string };
      if (o.callId === callId && typeof o.recordingId === 'string') return o.recordingId;
    } catch {
      // not a JSON line
    }
  }
  return null;
}

export interface StreamStatsView {
  readonly packets: number;
  readonly lost: number;
  readonly late: number;
  readonly outOfOrder: number;
  readonly duplicates: number;
  readonly ssrcChanges: number;
  readonly dtmfEvents: number;
  readonly drops: Readonly<Record<string, number>>;
  readonly rtcp: { readonly packets: number };
}

/** The parts of `recordings show --json` these tests read. */
export interface RecordView {
  readonly id: string;
  readonly state: string;
  readonly durationMs: number;
  readonly direction: string;
  readonly service: string | null;
  readonly number: string | null;
  readonly numberWithheld: boolean;
  readonly agent: string | null;
  readonly agentName: string | null;
  readonly participants: readonly {
    role: string;
    name: string | null;
    number: string | null;
    withheld: boolean;
    side: string;
  }[];
  readonly flags: readonly string[];
  readonly format: { readonly channels: number; readonly sampleRate: number };
  readonly codec: string | null;
  readonly stats: {
    readonly endReason: string;
    readonly streams: Readonly<Record<string, StreamStatsView>>;
  } | null;
}

/**
 * Waits (bounded) until the recording of `callId` is finalised in the index and returns it.
 * `logs` is the daemon's output so far (RunningDaemon.logs).
 */
export async function finishedRecord(
  sets: readonly string[],
  logs: () => string,
  callId: string,
  timeoutMs = 15_000,
): Promise<RecordView> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const id = recordingIdFromLogs(logs(), callId);
    if (id !== null) {
      const r = await ctl(sets, ['recordings', 'show', id, '--json']);
      last = r.stdout + r.stderr;
      if (r.code === 0) {
        const rec = JSON.parse(r.stdout) as RecordView;
        if (rec.state !== 'recording' && rec.stats !== null) return rec;
      }
    }
    await sleep(300);
  }
  throw new Error(`no finished recording for ${callId} within ${timeoutMs} ms: ${last}`);
}

/** `callvaultctl export ID -o DIR/ID.wav --reason …`, then the WAV parsed independently. */
export async function exportWav(sets: readonly string[], id: string, dir: string): Promise<WavInfo> {
  const out = join(dir, `${id}.wav`);
  const r = await ctl(sets, ['export', id, '-o', out, '--reason', 'siprec e2e check', '--force']);
  if (r.code !== 0) throw new Error(`export ${id} failed: ${r.stdout}${r.stderr}`);
  return readWav(readFileSync(out));
}

/**
 * A random even RTP range of 400 ports for one daemon in 10000-19999: below the kernel's
 * ephemeral range (32768+, where the daemon's port-0 listeners land) and the default and dev
 * ranges (20000-29999) other daemons on the machine use, so parallel runs rarely share ports.
 */
export function rtpRangeSet(): string {
  const low = 10_000 + 2 * Math.floor(Math.random() * 4800);
  return `media.rtp_ports=${low}-${low + 399}`;
}

/**
 * The recording must be as long as the call the SBC saw (INVITE sent → BYE sent, ±toleranceMs),
 * and that call must be the media sent plus at most `slackMs` of signalling. On an idle machine
 * both equal mediaMs within a few ms; on a loaded one set-up latency shows up in the first check
 * only as slack, not as a false failure.
 */
export function assertRecordedLength(
  rec: { readonly durationMs: number },
  call: SiprecCall,
  mediaMs: number,
  what: string,
  toleranceMs = 200,
  slackMs = 1000,
): void {
  const seenMs = call.timing.byeSentMs - call.timing.inviteSentMs;
  assert.ok(
    Math.abs(rec.durationMs - seenMs) <= toleranceMs,
    `${what}: durationMs ${rec.durationMs}, call as the SBC saw it ${seenMs.toFixed(0)} ms (media ${mediaMs} ms)`,
  );
  assert.ok(
    seenMs >= mediaMs - 20 && seenMs <= mediaMs + slackMs,
    `${what}: call lasted ${seenMs.toFixed(0)} ms for ${mediaMs} ms of media`,
  );
  assert.ok(
    Math.abs(rec.durationMs - mediaMs) <= toleranceMs + (seenMs - mediaMs),
    `${what}: durationMs ${rec.durationMs} vs media ${mediaMs}`,
  );
}
