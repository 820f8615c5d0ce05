/**
 * The recorder suites' common set-up (call-recorder*.test.ts): real storage in a temp dir, a real
 * media receiver on 127.0.0.1 on an injected clock, a UDP sender to play calls into it; and
 * CallRecorder.start with the options the tests share, so each test states only what differs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket, type Socket } from 'node:dgram';
import { loadConfig, type Config } from '../../../agent/src/config/index.js';
import { openStorage, type Storage } from '../../../agent/src/storage/index.js';
import { createMediaReceiver, type MediaReceiver } from '../../../agent/src/media/index.js';
import { Session } from '../../../agent/src/session/index.js';
import { CallRecorder, type CallRecorderOptions } from '../../../agent/src/recorder/index.js';
import { silentLogger } from '../../../agent/src/common/index.js';
import { DEV_CONFIG } from '../../helpers/daemon.js';
import type { readWav } from '../../helpers/audio.js';
import {
  T0,
  allocateCall,
  exportWavOf,
  playRtp,
  sessionInfo,
  type CallStreams,
  type PlayOptions,
} from './recorder-rig.js';

/** One test's parts; made before each test and closed after it (useRecorderRig). */
export class RecorderRig {
  dir!: string;
  config!: Config;
  /** A test that reopens storage elsewhere (disk full) sets it; the one set is closed after. */
  storage!: Storage;
  receiver!: MediaReceiver;
  #sender!: Socket;
  /** The injected clock (ms): play() moves it packet by packet, a test may set it. */
  now = T0;
  readonly clock = (): number => this.now;

  async setUp(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'cv-rec-'));
    this.config = loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${this.dir}`] });
    this.storage = await openStorage({ config: this.config, log: silentLogger() });
    // A random even base: suites running side by side rarely meet on a port.
    const low = 30000 + 2 * Math.floor(Math.random() * 10000);
    this.receiver = await createMediaReceiver({
      portRange: { low, high: low + 40 },
      bindAddress: '127.0.0.1',
      log: silentLogger(),
      clock: this.clock,
    });
    this.#sender = createSocket('udp4');
    this.now = T0;
  }

  async tearDown(): Promise<void> {
    this.#sender.close();
    await this.receiver.close();
    await this.storage.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  call(): Promise<CallStreams> {
    return allocateCall(this.receiver);
  }

  play(c: CallStreams, seconds: number, opts: PlayOptions = {}): Promise<void> {
    return playRtp(this.#sender, c, seconds, opts, (ms) => {
      this.now = ms;
    });
  }

  exportWav(id: string): Promise<ReturnType<typeof readWav>> {
    return exportWavOf(this.storage, id);
  }

  /** A SIPREC recording of call c (customer left, agent right, PCMU 8 kHz), as `over` changes it. */
  start(c: CallStreams, over: Partial<CallRecorderOptions> = {}): Promise<CallRecorder> {
    return CallRecorder.start({
      session: new Session(sessionInfo()),
      streams: [
        { label: 'customer', side: 'customer', codec: 'PCMU', stream: c.left },
        { label: 'agent', side: 'agent', codec: 'PCMU', stream: c.right },
      ],
      storage: this.storage,
      policy: this.config.policy,
      source: 'siprec',
      sampleRate: 8000,
      rtpTimeoutMs: 30_000,
      clock: this.clock,
      tickMs: 5,
      log: silentLogger(),
      ...over,
    });
  }
}

/** A RecorderRig set up before and torn down after each test of the calling describe(). */
export function useRecorderRig(): RecorderRig {
  const rig = new RecorderRig();
  beforeEach(() => rig.setUp());
  afterEach(() => rig.tearDown());
  return rig;
}
