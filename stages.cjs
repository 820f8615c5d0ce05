// The one stage list (STYLE rules 1, 3 and 5): every folder under agent/src in data-flow order,
// the stages each may import, and the few files that may hold module-level mutable state.
// .dependency-cruiser.cjs and eslint.config.js are generated from it; test/unit/stages.test.ts
// fails when a folder exists that it does not name (or it names one that is gone).
//
// `imports` is what a stage may import besides itself. Only main.ts (the composition root) and
// cli/ (which runs the same handlers locally when no daemon runs) wire the top of the graph.

/** @typedef {{ readonly name: string, readonly imports: readonly string[], readonly why: string }} Stage */

/** @type {readonly Stage[]} */
const STAGES = [
  { name: 'common', imports: [], why: 'primitives: errors, logging, text, native loader' },
  { name: 'config', imports: ['common'], why: 'read by all, reads none' },
  // The SBC's side as text (offers, answers): test-call ships it; tests and benches share it.
  { name: 'sbc', imports: [], why: 'the sending side of a SIPREC call, for test-call' },
  { name: 'sip', imports: ['common'], why: 'the bottom of the signalling path' },
  { name: 'siprec', imports: ['common', 'session'], why: 'produces the session model from SIP' },
  { name: 'session', imports: ['common'], why: 'the call model; knows nothing of SIP or pcap' },
  { name: 'media', imports: ['common'], why: 'RTP in, samples out; knows no recorder or storage' },
  {
    name: 'recorder',
    imports: ['common', 'config', 'session', 'media', 'vault', 'index', 'storage'],
    why: 'mixes a session’s streams and writes them through storage',
  },
  {
    name: 'calls',
    imports: ['common', 'config', 'sip', 'siprec', 'session', 'media', 'recorder', 'storage'],
    why: 'runs the ingest path: one call from INVITE to the recorder',
  },
  { name: 'vault', imports: ['common'], why: 'stores bytes; knows no calls or index' },
  { name: 'index', imports: ['common'], why: 'stores what it is given' },
  {
    name: 'storage',
    imports: ['common', 'config', 'vault', 'index'],
    why: 'vault + index as one unit with its integrity rules',
  },
  {
    name: 'retention',
    imports: ['common', 'config', 'vault', 'index', 'storage'],
    why: 'policies over stored recordings',
  },
  {
    name: 'training',
    imports: ['common', 'config', 'media', 'vault', 'index', 'storage', 'retention'],
    why: 'masked copies of stored recordings',
  },
  {
    name: 'control',
    imports: ['common', 'config', 'index', 'storage', 'retention', 'training'],
    why: 'the command handlers behind the control socket',
  },
  {
    name: 'metrics',
    imports: ['common', 'media', 'storage'],
    why: 'collectors read the counters of the stages they watch',
  },
  {
    name: 'api',
    imports: ['common', 'config', 'vault', 'index', 'storage', 'recorder', 'retention', 'training'],
    why: 'the admin API over stored recordings',
  },
  {
    name: 'cli',
    // media: `test-call` synthesises the tones it sends; sbc: it builds its offer there.
    imports: ['common', 'config', 'media', 'storage', 'control', 'sbc'],
    why: 'callvaultctl: talks to the daemon or runs the control handlers locally',
  },
];

/** Files at agent/src's top (not folders): the composition root may import every stage. */
const ROOT_FILES = [
  { file: 'main.ts', why: 'the daemon entry: the only place components are wired' },
  { file: 'daemon-reload.ts', why: 'SIGHUP for main.ts: re-reads the config, applies what can change' },
];

/**
 * Files allowed module-level `let`/`var` (STYLE rule 5 forbids it elsewhere). Each is
 * process-wide by nature, not configuration.
 */
const MUTABLE_STATE_FILES = [
  // Reads package.json once; the version cannot change while the process runs.
  { file: 'agent/src/common/version.ts', why: 'memoised product version' },
  // One pool of segment chunks for all writers: per-writer pools were the RSS problem it fixes.
  { file: 'agent/src/vault/segment-buffer.ts', why: 'process-wide chunk pool counters' },
  // The disk backlog is a property of the process (one disk), read by back-pressure and metrics.
  { file: 'agent/src/vault/writer.ts', why: 'process-wide write backlog' },
  // Nonces are drawn from one random pool per process: one getRandomValues per 1 024 nonces.
  { file: 'agent/src/index/field-crypto.ts', why: 'process-wide nonce pool' },
  // An addon is dlopen()ed once per process and cannot be unloaded: the loaded one is remembered.
  { file: 'agent/src/common/native.ts', why: 'loaded native addons' },
  // One timer per interval drives every call's recorder tick: a timer per call was the CPU cost.
  { file: 'agent/src/recorder/tick-scheduler.ts', why: 'one shared tick timer per interval' },
];

const names = STAGES.map((s) => s.name);
for (const s of STAGES) {
  for (const i of s.imports) {
    if (!names.includes(i)) throw new Error(`stages.cjs: ${s.name} imports unknown stage ${i}`);
    if (i === s.name) throw new Error(`stages.cjs: ${s.name} lists itself`);
  }
}

/** Stages `name` may not import (everything listed that is neither itself nor allowed). */
function forbiddenFor(name) {
  const s = STAGES.find((x) => x.name === name);
  if (s === undefined) throw new Error(`stages.cjs: no stage ${name}`);
  return names.filter((n) => n !== name && !s.imports.includes(n));
}

module.exports = { STAGES, ROOT_FILES, MUTABLE_STATE_FILES, stageNames: names, forbiddenFor };
