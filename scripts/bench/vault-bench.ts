/**
 * Vault throughput: encrypt+write and decrypt of 30 min of 8 kHz stereo PCM16 (the
 * recorder's format), against a baseline of fs.writeFile/readFile of the same bytes without
 * encryption, in the same run. Target: ≥ 2000× real time both ways.
 * Run: npx tsx scripts/bench/vault-bench.ts  (prints JSON)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../../agent/src/common/index.js';
import { openVault } from '../../agent/src/vault/index.js';
import { fmt, row, type Benchmark } from './bench.js';

export interface VaultBenchResult {
  audioSeconds: number;
  audioBytes: number;
  segmentMs: number;
  containerBytes: number;
  overheadBytesPerSegment: number;
  write: { seconds: number; mbPerS: number; xRealTime: number };
  read: { seconds: number; mbPerS: number; xRealTime: number };
  baseline: { writeSeconds: number; readSeconds: number; writeMbPerS: number; readMbPerS: number };
  ratioVsBaseline: { write: number; read: number };
  targetXRealTime: number;
  meetsTarget: boolean;
}

export async function runVaultBench(audioSeconds = 1800): Promise<VaultBenchResult> {
  const root = mkdtempSync(join(tmpdir(), 'cv-vault-bench-'));
  const segmentMs = 2000;
  try {
    const rate = 8000;
    const pcm = Buffer.alloc(audioSeconds * rate * 4);
    for (let i = 0; i < audioSeconds * rate; i++) {
      pcm.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 4);
      pcm.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * 880 * i) / rate)), i * 4 + 2);
    }
    const mb = pcm.length / 1e6;
    const vault = await openVault({
      dir: join(root, 'storage'),
      masterKeyFile: join(root, 'master.key'),
      credentialsDirectory: undefined,
      segmentMs,
      fsync: 'batch',
      log: silentLogger(),
    });
    const packet = 640; // 20 ms, the size the recorder appends
    const t0 = process.hrtime.bigint();
    const w = await vault.createRecording({
      format: { encoding: 'pcm16', channels: 2, sampleRate: rate },
      metadata: { bench: true },
    });
    for (let o = 0; o < pcm.length; o += packet) w.append(pcm.subarray(o, o + packet));
    const fin = await w.finalize();
    const writeS = Number(process.hrtime.bigint() - t0) / 1e9;
    const t1 = process.hrtime.bigint();
    let readBytes = 0;
    for await (const c of (await vault.openReader(fin.id)).createReadStream())
      readBytes += (c as Buffer).length;
    const readS = Number(process.hrtime.bigint() - t1) / 1e9;
    if (readBytes !== pcm.length + 44) throw new Error('bench read back a wrong size');
    const containerBytes = statSync(fin.path).size;
    await vault.close();

    const plain = join(root, 'plain.wav');
    const t2 = process.hrtime.bigint();
    await writeFile(plain, pcm);
    const bwS = Number(process.hrtime.bigint() - t2) / 1e9;
    const t3 = process.hrtime.bigint();
    await readFile(plain);
    const brS = Number(process.hrtime.bigint() - t3) / 1e9;

    const segments = Math.ceil((audioSeconds * 1000) / segmentMs);
    const round = (x: number): number => Math.round(x * 10) / 10;
    const write = {
      seconds: writeS,
      mbPerS: round(mb / writeS),
      xRealTime: Math.round(audioSeconds / writeS),
    };
    const read = { seconds: readS, mbPerS: round(mb / readS), xRealTime: Math.round(audioSeconds / readS) };
    return {
      audioSeconds,
      audioBytes: pcm.length,
      segmentMs,
      containerBytes,
      overheadBytesPerSegment: round((containerBytes - pcm.length) / segments),
      write,
      read,
      baseline: {
        writeSeconds: bwS,
        readSeconds: brS,
        writeMbPerS: round(mb / bwS),
        readMbPerS: round(mb / brS),
      },
      ratioVsBaseline: { write: round(writeS / bwS), read: round(readS / brS) },
      targetXRealTime: 2000,
      meetsTarget: write.xRealTime >= 2000 && read.xRealTime >= 2000,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** `make bench`: 30 min of 8 kHz stereo audio through the vault and back. */
export const bench: Benchmark = {
  name: 'vault',
  async run() {
    const r = await runVaultBench();
    const audio = `${r.audioSeconds / 60} min 8 kHz stereo PCM16`;
    return {
      rows: [
        row(`encrypt+write MB/s (${audio})`, fmt(r.write.mbPerS), {
          baseline: `${fmt(r.baseline.writeMbPerS)} (plain fs write)`,
          ratio: fmt(r.write.mbPerS / r.baseline.writeMbPerS, 2),
        }),
        row('encrypt+write × real time', fmt(r.write.xRealTime, 0), { target: '≥ 2000' }),
        row('decrypt MB/s (streaming)', fmt(r.read.mbPerS), {
          baseline: `${fmt(r.baseline.readMbPerS)} (plain fs read)`,
          ratio: fmt(r.read.mbPerS / r.baseline.readMbPerS, 2),
        }),
        row('decrypt × real time', fmt(r.read.xRealTime, 0), { target: '≥ 2000' }),
        row(`overhead bytes per ${r.segmentMs} ms segment`, fmt(r.overheadBytesPerSegment)),
      ],
    };
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await runVaultBench(), null, 2));
}
