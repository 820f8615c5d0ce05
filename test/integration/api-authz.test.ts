/**
 * The authorisation matrix: every route of the admin API × every role (and no token), with the
 * status each must get. Completeness is checked both ways: every route the API source declares
 * and every operation docs/openapi.yaml documents must be in the matrix, and nothing else.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT, ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';
import { call, json } from '../helpers/https.js';

type Who = 'none' | 'agent' | 'supervisor' | 'admin' | 'qa' | 'dpo';
const WHO: readonly Who[] = ['none', 'agent', 'supervisor', 'qa', 'dpo', 'admin'];

interface Case {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  /** As declared in express (":id"); {id}/{name} in openapi. */
  readonly route: string;
  readonly expect: Readonly<Record<Who, number>>;
}

const all = (n: number, over: Partial<Record<Who, number>> = {}): Record<Who, number> => ({
  none: 401,
  agent: n,
  supervisor: n,
  admin: n,
  qa: n,
  dpo: n,
  ...over,
});
const only = (ok: number, roles: readonly Who[]): Record<Who, number> => {
  const r = all(403);
  for (const w of roles) r[w] = ok;
  return r;
};

const MATRIX: readonly Case[] = [
  { method: 'GET', route: '/health', expect: { ...all(200), none: 200 } },
  { method: 'POST', route: '/session', expect: { ...all(200), none: 200 } },
  { method: 'GET', route: '/session', expect: all(200) },
  { method: 'DELETE', route: '/session', expect: all(204) },
  { method: 'GET', route: '/recordings', expect: all(200, { qa: 403 }) },
  { method: 'GET', route: '/recordings/:id', expect: all(200, { qa: 403 }) },
  { method: 'GET', route: '/recordings/:id/audio', expect: all(200, { qa: 403 }) },
  // Erasure (of a recording of its own, erased by the dpo row; the admin row after it gets 403).
  { method: 'DELETE', route: '/recordings/:id', expect: only(200, ['dpo']) },
  { method: 'PATCH', route: '/recordings/:id', expect: only(200, ['dpo']) },
  // The DPO's write paths (on the test's recording: release, unrestrict, link, close, reopen).
  { method: 'POST', route: '/recordings/:id/legal-hold', expect: only(200, ['dpo']) },
  { method: 'POST', route: '/recordings/:id/restriction', expect: only(200, ['dpo']) },
  { method: 'PUT', route: '/recordings/:id/case', expect: only(200, ['dpo']) },
  { method: 'POST', route: '/cases/:caseId/close', expect: only(200, ['dpo']) },
  { method: 'POST', route: '/cases/:caseId/reopen', expect: only(200, ['dpo']) },
  // Data-subject requests, for a number with no recording (an empty archive, nothing erased).
  { method: 'GET', route: '/subjects/:number/export', expect: only(200, ['dpo']) },
  { method: 'POST', route: '/subjects/:number/withdraw-consent', expect: only(200, ['dpo']) },
  { method: 'GET', route: '/audit', expect: only(200, ['admin', 'dpo']) },
  // Calls in progress: none during the matrix, so the listen of an unknown id is 404 (qa 403 first).
  { method: 'GET', route: '/calls', expect: all(200, { qa: 403 }) },
  { method: 'GET', route: '/calls/:id/listen', expect: all(404, { qa: 403 }) },
  { method: 'GET', route: '/stats', expect: only(200, ['supervisor', 'admin', 'dpo']) },
  { method: 'GET', route: '/users', expect: only(200, ['admin']) },
  { method: 'POST', route: '/users', expect: only(201, ['admin']) },
  { method: 'PATCH', route: '/users/:name', expect: only(200, ['admin']) },
  { method: 'DELETE', route: '/users/:name', expect: only(204, ['admin']) },
  { method: 'GET', route: '/users/:name/sessions', expect: only(200, ['admin']) },
  { method: 'DELETE', route: '/users/:name/sessions', expect: only(200, ['admin']) },
  // Admin may; the id is unknown, so 404 (not 403) shows the role passed.
  { method: 'DELETE', route: '/users/:name/sessions/:id', expect: only(404, ['admin']) },
];

/** Bodies the DPO's routes accept: release, unrestrict, link to a case that is then closed and reopened. */
const DPO_BODIES: Readonly<Record<string, Record<string, unknown>>> = {
  '/recordings/:id/legal-hold': { hold: false, reason: 'matrix check' },
  '/recordings/:id/restriction': { restricted: false, reason: 'matrix check' },
  '/recordings/:id/case': { caseId: 'C-MATRIX' },
  '/cases/:caseId/close': {},
  '/cases/:caseId/reopen': {},
  'DELETE /recordings/:id': { reason: 'matrix check' },
  'PATCH /recordings/:id': { reason: 'matrix check', service: 'support' },
  '/subjects/:number/withdraw-consent': { reason: 'matrix check' },
};

const key = (method: string, route: string): string => `${method} ${route.replace(/:(\w+)/g, '{$1}')}`;

function declaredRoutes(): string[] {
  const dir = join(ROOT, 'agent', 'src', 'api');
  const out: string[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const src = readFileSync(join(dir, f), 'utf8');
    for (const m of src.matchAll(/\b(?:r|v1)\.(get|post|patch|put|delete)\(\s*'([^']+)'/g))
      out.push(key(m[1]!.toUpperCase(), m[2]!));
  }
  return out.sort();
}

function documentedRoutes(): string[] {
  const doc = parse(readFileSync(join(ROOT, 'docs', 'openapi.yaml'), 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

describe('integration: authorisation matrix (every route × role)', function () {
  this.timeout(180_000);
  let work: string;
  let daemon: RunningDaemon | undefined;
  let base: string;
  let recId: string;
  let eraseId: string;
  const PW = (name: string): string => `${name} has a long passphrase`;
  const USERS: Record<Exclude<Who, 'none'>, string> = {
    agent: 'ag',
    supervisor: 'su',
    admin: 'ad',
    qa: 'qq',
    dpo: 'dp',
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'cv-authz-'));
    const sets = await isolatedSets(join(work, 'storage'), ['api.login_max_failures_per_source=1000']);
    const wav = join(work, 'tone.wav');
    makeToneWav(wav, 2, [440, 880]);
    const imp = await ctl(sets, [
      'import',
      wav,
      '--meta',
      JSON.stringify({ agent: '1001', service: 'billing' }),
    ]);
    assert.equal(imp.code, 0, imp.stderr);
    recId = imp.stdout.trim();
    const imp2 = await ctl(sets, ['import', wav, '--meta', JSON.stringify({ agent: '1001' })]);
    assert.equal(imp2.code, 0, imp2.stderr);
    eraseId = imp2.stdout.trim();
    for (const [role, name] of Object.entries(USERS)) {
      const extra = role === 'agent' ? ['--agent', '1001'] : [];
      const r = await ctl(sets, ['users', 'add', name, '--role', role, ...extra, '--password-stdin'], {
        stdin: PW(name),
      });
      assert.equal(r.code, 0, r.stderr);
    }
    for (const name of ['target', 'victim']) {
      const r = await ctl(sets, ['users', 'add', name, '--role', 'supervisor', '--password-stdin'], {
        stdin: PW(name),
      });
      assert.equal(r.code, 0, r.stderr);
    }
    daemon = await startDaemon(sets);
    base = `https://${sets.find((s) => s.startsWith('api.listen='))!.split('=')[1]}/api/v1`;
  });
  after(async () => {
    await daemon?.stop('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  it('the matrix covers every declared and every documented route, and nothing else', () => {
    const matrix = MATRIX.map((c) => key(c.method, c.route)).sort();
    assert.deepEqual(declaredRoutes(), matrix, 'routes in agent/src/api vs the matrix');
    assert.deepEqual(documentedRoutes(), matrix, 'operations in docs/openapi.yaml vs the matrix');
  });

  it('every route answers each role as the matrix says', async () => {
    const login = async (name: string): Promise<string> => {
      const r = await call(`${base}/session`, {
        method: 'POST',
        json: { username: name, password: PW(name) },
      });
      assert.equal(r.status, 200, `${name}: ${r.body.toString()}`);
      return String(json(r)['token']);
    };
    const failures: string[] = [];
    let n = 0;
    for (const c of MATRIX) {
      for (const who of WHO) {
        // A fresh token per request: DELETE /session ends it, and nothing leaks between cases.
        const token = who === 'none' ? undefined : await login(USERS[who]);
        const path = c.route
          .replace(':caseId', 'C-MATRIX')
          .replace(':number', '070-999%2000%2000')
          .replace(/^\/recordings\/:id\/(legal-hold|restriction|case)$/, `/recordings/${recId}/$1`)
          .replace(':id/audio', `${recId}/audio`)
          .replace(/^\/recordings\/:id$/, `/recordings/${c.method === 'DELETE' ? eraseId : recId}`)
          .replace(':name', c.method === 'DELETE' && c.route === '/users/:name' ? 'victim' : 'target')
          .replace(':id', '0123456789abcdef');
        const body =
          DPO_BODIES[`${c.method} ${c.route}`] !== undefined
            ? DPO_BODIES[`${c.method} ${c.route}`]
            : DPO_BODIES[c.route] !== undefined
              ? DPO_BODIES[c.route]
              : c.method === 'POST' && c.route === '/session'
                ? { username: 'target', password: PW('target') }
                : c.method === 'POST'
                  ? { username: `new${n++}`, role: 'supervisor', password: 'a brand new passphrase' }
                  : c.method === 'PATCH'
                    ? { disabled: false }
                    : undefined;
        const withReason = c.route.endsWith('/audio') || c.route.endsWith('/export');
        const r = await call(`${base}${path}${withReason ? '?reason=matrix%20check' : ''}`, {
          method: c.method,
          ...(token !== undefined ? { token } : {}),
          ...(body !== undefined ? { json: body } : {}),
        });
        if (r.status !== c.expect[who])
          failures.push(`${c.method} ${c.route} as ${who}: ${r.status}, want ${c.expect[who]}`);
        if (r.status >= 400) {
          const code = (json(r)['error'] as { code?: unknown } | undefined)?.code;
          if (typeof code !== 'string' || !code.startsWith('CV_ERR_'))
            failures.push(`${c.method} ${c.route} as ${who}: no JSON code`);
        }
      }
    }
    process.stdout.write(`      ${MATRIX.length} routes × ${WHO.length} callers checked\n`);
    assert.deepEqual(failures, []);
  });
});
