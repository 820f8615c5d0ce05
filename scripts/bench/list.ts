/** Every benchmark `make bench` runs, in the order they run (and their rows appear). */
import type { Benchmark } from './bench.js';
import { bench as vault } from './vault-bench.js';
import { bench as sip } from './sip-bench.js';
import { bench as sipSetup } from './sip-setup-bench.js';
import { bench as media } from './media-bench.js';
import { bench as load } from './load-bench.js';
import { bench as index } from './index-bench.js';
import { bench as dpo } from './dpo-bench.js';
import { bench as consoleBench } from './console-bench.js';

export const BENCHES: readonly Benchmark[] = [vault, sip, sipSetup, media, load, index, dpo, consoleBench];
