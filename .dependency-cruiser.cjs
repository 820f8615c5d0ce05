// The dependency direction of ARCHITECTURE.md, checked in `make test` (STYLE rule 3).
// Generated from stages.cjs: one rule per stage naming what it may not import, plus the rules
// that keep the top of the graph (main.ts) unimported and no folder outside the list.
const { STAGES, ROOT_FILES, stageNames, forbiddenFor } = require('./stages.cjs');

const alt = (names) => names.join('|');

const perStage = STAGES.filter((s) => forbiddenFor(s.name).length > 0).map((s) => ({
  name: `${s.name}-imports-only-${s.imports.length === 0 ? 'itself' : s.imports.join('-')}`,
  comment: `${s.name}/: ${s.why} (stages.cjs)`,
  severity: 'error',
  from: { path: `^agent/src/${s.name}/` },
  to: { path: `^agent/src/(${alt(forbiddenFor(s.name))})/` },
}));

module.exports = {
  forbidden: [
    ...perStage,
    {
      name: 'nothing-imports-main',
      comment: 'main.ts is the composition root; nothing imports it (it alone imports its root siblings)',
      severity: 'error',
      from: { path: '^agent/src/', pathNot: '^agent/src/main\\.ts$' },
      to: { path: `^agent/src/(${alt(ROOT_FILES.map((f) => f.file.replace('.', '\\.')))})$` },
    },
    {
      name: 'every-folder-in-stage-list',
      comment: 'a folder under agent/src that stages.cjs does not name has no rules: add it there',
      severity: 'error',
      from: { path: '^agent/src/' },
      to: {
        path: '^agent/src/',
        pathNot: `^agent/src/((${alt(stageNames)})/|(${alt(ROOT_FILES.map((f) => f.file.replace('.', '\\.')))})$)`,
      },
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
