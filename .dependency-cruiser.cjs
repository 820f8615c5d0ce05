// The dependency direction of ARCHITECTURE.md, checked in `make test` (STYLE rule 3).
const stage = (name) => `^agent/src/${name}/`;
const forbid = (from, to, comment) => ({
  name: `${from}-not-to-${to.join('-')}`,
  comment,
  severity: 'error',
  from: { path: stage(from) },
  to: { path: `^agent/src/(${to.join('|')})/` },
});

module.exports = {
  forbidden: [
    {
      name: 'nothing-imports-api-metrics-main',
      comment: 'api/, metrics/ and main.ts are the top of the graph; only main.ts and cli/ wire them',
      severity: 'error',
      from: { path: '^agent/src/', pathNot: '^agent/src/(main\\.ts|cli/|api/|metrics/)' },
      to: { path: '^agent/src/(api/|metrics/|main\\.ts)' },
    },
    forbid('session', ['sip', 'siprec', 'tap', 'media', 'recorder', 'vault', 'index', 'retention', 'cli'], 'session/ knows nothing of SIP or pcap'),
    forbid('sip', ['siprec', 'tap', 'session', 'media', 'recorder', 'vault', 'index', 'retention', 'cli'], 'sip/ is the bottom of the signalling path'),
    forbid('vault', ['sip', 'siprec', 'tap', 'session', 'media', 'recorder', 'index', 'retention', 'cli'], 'the vault stores bytes; it knows no calls or index'),
    forbid('index', ['sip', 'siprec', 'tap', 'session', 'media', 'recorder', 'retention', 'cli'], 'index/ stores what it is given'),
    forbid('config', ['sip', 'siprec', 'tap', 'session', 'media', 'recorder', 'vault', 'index', 'retention', 'cli'], 'config/ is read by all and reads none'),
    forbid('common', ['config', 'sip', 'siprec', 'tap', 'session', 'media', 'recorder', 'vault', 'index', 'retention', 'cli'], 'common/ holds primitives only'),
    forbid('sbc', ['config', 'sip', 'siprec', 'tap', 'session', 'media', 'recorder', 'vault', 'index', 'retention', 'control', 'cli'], 'sbc/ is the sending side as text: the test call, benches and tests share it'),
    {
      name: 'only-cli-imports-sbc',
      comment: 'the SBC side exists for test-call; the daemon never builds offers',
      severity: 'error',
      from: { path: '^agent/src/', pathNot: '^agent/src/(cli|sbc)/' },
      to: { path: '^agent/src/sbc/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
