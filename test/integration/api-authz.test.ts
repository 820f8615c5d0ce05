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
  // The DPO's grants: a grant for the qa account, the list, and an unknown id revoked (404).
  { method: 'POST', route: '/grants', expect: only(201, ['dpo']) },
  { method: 'GET', route: '/grants', expect: only(200, ['dpo']) },
  { method: 'DELETE', route: '/grants/:id', expect: only(404, ['dpo']) },
  // A pseudonymised training copy of the test's recording (201 {id}).
  { method: 'POST', route: '/recordings/:id/training-copy', expect: only(201, ['dpo']) },
];

/**
 * Query parameters of the routes above, per role (GET only; the route's own row covers it bare).
 * qa holds a grant here (the test makes one first): a qa list is filtered, not refused.
 */
const QUERY_MATRIX: readonly { readonly path: string; readonly expect: Readonly<Record<Who, number>> }[] = [
  { path: '/recordings?minMos=1&maxMos=5', expect: all(200) },
  { path: '/recordings?flag=no_media', expect: all(200) },
  { path: '/recordings?minMos=9', expect: all(400) },
  { path: '/stats?bucket=day', expect: only(200, ['supervisor', 'admin', 'dpo']) },
  { path: '/stats?bucket=hour', expect: only(400, ['supervisor', 'admin', 'dpo']) },
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
  'POST /grants': { user: 'qq', until: '2099-01-01T00:00:00Z', reason: 'matrix check' },
  '/recordings/:id/training-copy': { reason: 'matrix check' },
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
  /** The second matrix's recordings: another agent's call, a restricted own call, a training copy. */
  let otherId: string;
  let restrictedId: string;
  let copyId: string;
  const PW = (name: string): string => `${name} has a long passphrase`;
  const USERS: Record<Exclude<Who, 'none'>, string> = {
    agent: 'ag',
    supervisor: 'su',
    admin: 'ad',
    qa: 'qq',
    dpo: 'dp',
  };

  /** qa without a grant, qa and supervisor with one (granted with `callvaultctl grant add`). */
  const GRANTEES = { qn: 'qa', qg: 'qa', sg: 'supervisor' } as const;

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
    // For the own/other/restricted/granted matrix: set up offline (the CLI opens the storage itself).
    const imp3 = await ctl(sets, ['import', wav, '--meta', JSON.stringify({ agent: '1002' })]);
    assert.equal(imp3.code, 0, imp3.stderr);
    otherId = imp3.stdout.trim();
    const imp4 = await ctl(sets, ['import', wav, '--meta', JSON.stringify({ agent: '1001' })]);
    assert.equal(imp4.code, 0, imp4.stderr);
    restrictedId = imp4.stdout.trim();
    assert.equal(
      (await ctl(sets, ['restrict', 'set', restrictedId, '--reason', 'accuracy disputed'])).code,
      0,
    );
    const tc = await ctl(sets, ['training-copy', recId, '--reason', 'matrix training set']);
    assert.equal(tc.code, 0, tc.stderr);
    copyId = tc.stdout.trim();
    for (const [name, role] of Object.entries(GRANTEES)) {
      const r = await ctl(sets, ['users', 'add', name, '--role', role, '--password-stdin'], {
        stdin: PW(name),
      });
      assert.equal(r.code, 0, r.stderr);
    }
    for (const name of ['qg', 'sg']) {
      const g = await ctl(sets, [
        'grant',
        'add',
        name,
        '--until',
        '2099-01-01T00:00:00Z',
        '--reason',
        'matrix grant',
      ]);
      assert.equal(g.code, 0, g.stderr);
    }
    for (const name of ['target', 'victim']) {
      const r = await ctl(sets, ['users', 'add', name, '--role', 'supervisor', '--password-stdin'], {
        stdin: PW(name),
      });
      assert.equal(r.code, 0, r.stderr);
    }
    daemon = await startDaemon(sets);
    base = `${daemon.apiUrl!}/api/v1`;
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
          .replace(
            /^\/recordings\/:id\/(legal-hold|restriction|case|training-copy)$/,
            `/recordings/${recId}/$1`,
          )
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

  /**
   * Who reaches which recording (policy hrm, dev.yaml's): per caller, the status of GET
   * /recordings/{id}, GET /recordings/{id}/audio and POST /recordings/{id}/training-copy on the
   * agent's own call, another agent's, a restricted own call and a training copy; and which of
   * the four GET /recordings lists.
   */
  const TARGETS = ['own', 'other', 'restricted', 'copy'] as const;
  type Target = (typeof TARGETS)[number];
  type Row = Readonly<Record<'get' | 'audio' | 'copy', Readonly<Record<Target, number>>> & { list: string }>;
  const row = (get: number[], audio: number[], copy: number[], list: string): Row => {
    const of = (v: number[]) =>
      Object.fromEntries(TARGETS.map((t, i) => [t, v[i]!])) as Record<Target, number>;
    return { get: of(get), audio: of(audio), copy: of(copy), list };
  };
  const NO_COPY = [403, 403, 403, 403];
  const TARGET_MATRIX: Readonly<Record<string, Row>> = {
    // agent 1001: its own calls; restricted audio 423; never another's or a copy (404).
    ag: row([200, 404, 200, 404], [200, 404, 423, 404], NO_COPY, 'ynyn'),
    su: row([200, 200, 200, 404], [200, 200, 423, 404], NO_COPY, 'yyyn'),
    ad: row([200, 200, 200, 404], [200, 200, 423, 404], NO_COPY, 'yyyn'),
    sg: row([200, 200, 200, 200], [200, 200, 423, 200], NO_COPY, 'yyyy'),
    qn: row([403, 403, 403, 403], [403, 403, 403, 403], NO_COPY, '403'),
    qg: row([404, 404, 404, 200], [404, 404, 404, 200], NO_COPY, 'nnny'),
    dp: row([200, 200, 200, 200], [200, 200, 423, 200], [201, 201, 423, 201], 'yyyy'),
  };

  it('own / other / restricted / granted: every caller × recording as the matrix says', async () => {
    const ids: Record<Target, string> = {
      own: recId,
      other: otherId,
      restricted: restrictedId,
      copy: copyId,
    };
    const failures: string[] = [];
    let checked = 0;
    for (const [name, want] of Object.entries(TARGET_MATRIX)) {
      const r = await call(`${base}/session`, {
        method: 'POST',
        json: { username: name, password: PW(name) },
      });
      assert.equal(r.status, 200, `${name}: ${r.body.toString()}`);
      const token = String(json(r)['token']);
      for (const t of TARGETS) {
        const got = {
          get: (await call(`${base}/recordings/${ids[t]}`, { token })).status,
          audio: (await call(`${base}/recordings/${ids[t]}/audio?reason=matrix%20check`, { token })).status,
          copy: (
            await call(`${base}/recordings/${ids[t]}/training-copy`, {
              method: 'POST',
              token,
              json: { reason: 'matrix check' },
            })
          ).status,
        };
        for (const k of ['get', 'audio', 'copy'] as const) {
          checked++;
          if (got[k] !== want[k][t]) failures.push(`${k} ${t} as ${name}: ${got[k]}, want ${want[k][t]}`);
        }
      }
      const list = await call(`${base}/recordings?limit=1000`, { token });
      const listed =
        list.status !== 200
          ? String(list.status)
          : TARGETS.map((t) =>
              (json(list)['items'] as { id: string }[]).some((i) => i.id === ids[t]) ? 'y' : 'n',
            ).join('');
      checked++;
      if (listed !== want.list) failures.push(`list as ${name}: ${listed}, want ${want.list}`);
    }
    process.stdout.write(
      `      ${Object.keys(TARGET_MATRIX).length} callers × ${TARGETS.length} recordings × 3 routes + lists: ${checked} checks\n`,
    );
    assert.deepEqual(failures, []);
  });

  it('query parameters answer each role as their table says', async () => {
    const failures: string[] = [];
    const dpo = await call(`${base}/session`, {
      method: 'POST',
      json: { username: USERS.dpo, password: PW(USERS.dpo) },
    });
    const granted = await call(`${base}/grants`, {
      method: 'POST',
      token: String(json(dpo)['token']),
      json: { user: USERS.qa, until: '2099-01-01T00:00:00Z', reason: 'query matrix' },
    });
    assert.equal(granted.status, 201, granted.body.toString());
    for (const who of WHO) {
      let token: string | undefined;
      if (who !== 'none') {
        const r = await call(`${base}/session`, {
          method: 'POST',
          json: { username: USERS[who], password: PW(USERS[who]) },
        });
        token = String(json(r)['token']);
      }
      for (const c of QUERY_MATRIX) {
        const r = await call(`${base}${c.path}`, token !== undefined ? { token } : {});
        if (r.status !== c.expect[who])
          failures.push(`GET ${c.path} as ${who}: ${r.status}, want ${c.expect[who]}`);
      }
    }
    process.stdout.write(`      ${QUERY_MATRIX.length} queries × ${WHO.length} callers checked\n`);
    assert.deepEqual(failures, []);
  });
});
