import assert from 'node:assert/strict';
import { attemptLogin, makeDummyHash, type LoginDeps } from '../../../agent/src/api/login.js';
import { LoginThrottle } from '../../../agent/src/api/login-throttle.js';
import { LoginFailureAudit } from '../../../agent/src/api/login-audit.js';
import { hashPassword, type AuditInput, type User } from '../../../agent/src/index/index.js';
import { silentLogger } from '../../../agent/src/common/index.js';
import { HttpError } from '../../../agent/src/api/http-errors.js';

// Cheap scrypt parameters: these tests count checks and entries, not time.
const FAST = { N: 16, r: 1, p: 1 };

async function setup(limits = { perUser: 5, perSource: 1_000_000, maxEntries: 1000 }): Promise<{
  deps: LoginDeps;
  audit: AuditInput[];
  failures: LoginFailureAudit;
  throttle: LoginThrottle;
}> {
  const users = new Map<string, User>();
  users.set('anna', {
    username: 'anna',
    role: 'supervisor',
    agentId: null,
    passwordHash: await hashPassword('right password here', FAST),
    createdAt: new Date().toISOString(),
    disabled: false,
  });
  users.set('dora', { ...users.get('anna')!, username: 'dora', disabled: true });
  const audit: AuditInput[] = [];
  const append = async (e: AuditInput): Promise<void> => {
    audit.push(e);
  };
  const throttle = new LoginThrottle(limits);
  const failures = new LoginFailureAudit({
    append,
    log: silentLogger(),
    intervalMs: 3_600_000,
    maxSources: 100,
  });
  const deps: LoginDeps = {
    findUser: async (n) => users.get(n) ?? null,
    append,
    throttle,
    failures,
    dummyHash: await makeDummyHash(FAST),
    secondFactor: async () => true,
  };
  return { deps, audit, failures, throttle };
}

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof HttpError, String(err));
    return `${err.status} ${err.code}`;
  }
};

describe('api/login', () => {
  it('answers 400 for malformed names without a check, and never throws anything but HttpError', async () => {
    const { deps, failures } = await setup();
    for (const username of ['', 'x'.repeat(65), 'a\u0000b', 'anna\n', 'ann a', 42, null, undefined]) {
      assert.equal(
        await codeOf(attemptLogin(deps, { username, password: 'p' }, '192.0.2.1')),
        '400 CV_ERR_API_BAD_LOGIN',
      );
    }
    assert.equal(await codeOf(attemptLogin(deps, 'not an object', '192.0.2.1')), '400 CV_ERR_API_BAD_LOGIN');
    assert.equal(
      await codeOf(attemptLogin(deps, { username: 'anna', password: 'x'.repeat(1025) }, '192.0.2.1')),
      '400 CV_ERR_API_BAD_LOGIN',
    );
    await failures.close();
  });

  it('a parallel burst of 40 is checked at most 5 times; the right password in it gets no token', async () => {
    const { deps, audit, failures } = await setup();
    const burst = Array.from({ length: 40 }, (_, i) =>
      codeOf(
        attemptLogin(
          deps,
          { username: 'anna', password: i === 39 ? 'right password here' : `guess ${i}` },
          '192.0.2.1',
        ),
      ),
    );
    const codes = await Promise.all(burst);
    assert.equal(codes.filter((c) => c === '401 CV_ERR_API_BAD_CREDENTIALS').length, 5);
    assert.equal(codes.filter((c) => c === '429 CV_ERR_API_TOO_MANY_LOGINS').length, 35);
    assert.notEqual(codes[39], 'ok');
    await failures.close();
    assert.deepEqual(
      audit.map((e) => [e.action, e.detail?.['failed'], e.detail?.['refused']]),
      [['login_failed', 5, 35]],
      'one aggregated entry',
    );
  });

  it('disabled and unknown accounts fail like a wrong password; a success is audited alone', async () => {
    const { deps, audit, failures } = await setup();
    assert.equal(
      await codeOf(attemptLogin(deps, { username: 'nobody', password: 'whatever1' }, '::1')),
      '401 CV_ERR_API_BAD_CREDENTIALS',
    );
    assert.equal(
      await codeOf(attemptLogin(deps, { username: 'anna', password: 'right password here' }, '::1')),
      'ok',
    );
    assert.equal(
      await codeOf(attemptLogin(deps, { username: 'dora', password: 'right password here' }, '::1')),
      '401 CV_ERR_API_BAD_CREDENTIALS',
      'disabled: the right password does not help',
    );
    assert.deepEqual(
      audit.map((e) => e.action),
      ['login'],
    );
    await failures.close();
    assert.deepEqual(
      audit.map((e) => e.action),
      ['login', 'login_failed'],
    );
  });

  it('100 000 unknown user names: throttle keys and audit entries stay bounded', async function () {
    this.timeout(120_000);
    const { deps, audit, failures, throttle } = await setup({ perUser: 5, perSource: 20, maxEntries: 1000 });
    for (let i = 0; i < 100_000; i++) {
      // A botnet: every name from its own address, so neither table can refuse early.
      await attemptLogin(
        deps,
        { username: `guess${i}`, password: 'p@ss' },
        `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      ).catch(() => undefined);
      if (i % 20_000 === 19_999) await failures.flush();
    }
    await failures.close();
    const used = process.memoryUsage().heapUsed;
    assert.ok(
      throttle.entries.users <= 1000 && throttle.entries.sources <= 1000,
      JSON.stringify(throttle.entries),
    );
    assert.ok(failures.pendingSources === 0);
    // 5 flushes × at most 100 sources + "(other)" each.
    assert.ok(audit.length <= 5 * 101, `audit entries: ${audit.length}`);
    const counted = audit.reduce((n, e) => n + Number(e.detail?.['failed'] ?? 0), 0);
    assert.equal(counted, 100_000, 'every failure is counted in some aggregate');
    process.stdout.write(
      `      throttle ${JSON.stringify(throttle.entries)}, audit entries ${audit.length}, heap ${Math.round(used / 1e6)} MB\n`,
    );
  });
});
