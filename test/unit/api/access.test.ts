import assert from 'node:assert/strict';
import { assertMayRead, cleanText, visibility, visibleChars } from '../../../agent/src/api/access.js';
import { POLICY_PRESETS } from '../../../agent/src/config/index.js';
import type { Grant, RecordingRecord, Role } from '../../../agent/src/index/index.js';
import { parseRange } from '../../../agent/src/api/audio.js';

describe('api/access', () => {
  it('escapes control and format characters and bounds the length', () => {
    assert.equal(cleanText('a\nb\u0000c\u001b[31m', 100), 'a\\u000ab\\u0000c\\u001b[31m');
    assert.equal(cleanText('\u202eevil', 100), '\\u202eevil');
    assert.equal([...cleanText('ä'.repeat(1000), 500)].length, 500);
    assert.ok(!/\p{Cc}/u.test(cleanText('x\r\ny\t', 100)));
  });

  it('counts only visible characters towards a reason', () => {
    assert.equal(visibleChars('     '), 0);
    assert.equal(visibleChars('\u2003\u2003\u200b\u200b\u00a0'), 0);
    assert.equal(visibleChars('T-123'), 5);
    assert.equal(visibleChars('ärende 7'), 7);
  });

  it('parses one bounded Range; absurd ones are 416', () => {
    assert.deepEqual(parseRange('bytes=0-99', 1000), { start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 1000), { start: 990, end: 999 });
    assert.throws(() => parseRange(`bytes=0-${'9'.repeat(40)}`, 1000), { status: 416 });
    assert.throws(() => parseRange('bytes=2000-', 1000), { status: 416 });
  });

  describe('visibility: roles × policy × grants', () => {
    const rec = (id: string, flags: string[] = [], agent: string | null = '1001'): RecordingRecord =>
      ({ id, agent, flags, service: 'support' }) as unknown as RecordingRecord;
    const original = rec('orig');
    const other = rec('other', [], '1002');
    const copy = rec('copy', ['training'], null);
    const grant = (pseudonymised: boolean): Grant => ({
      id: 'g1',
      username: 'u',
      scope: { services: null, recordingIds: null, pseudonymised },
      grantedBy: 'dora',
      reason: 'x',
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2099-01-01T00:00:00.000Z',
    });
    const user = (role: Role) => ({ username: 'u', role, agentId: role === 'agent' ? '1001' : null });
    /** What the role sees of [original, other agent's, training copy], or 403. */
    async function sees(role: Role, policy: 'arlo' | 'hrm', grants: Grant[]): Promise<string> {
      try {
        const v = await visibility(user(role), POLICY_PRESETS[policy], async () => grants);
        return [original, other, copy].map((r) => (v.sees(r) ? 'y' : 'n')).join('');
      } catch (err) {
        return String((err as { status?: number }).status);
      }
    }
    const table: [Role, 'arlo' | 'hrm', Grant[], string][] = [
      ['dpo', 'arlo', [], 'yyy'],
      ['admin', 'arlo', [], 'yyn'],
      ['agent', 'hrm', [], 'ynn'],
      ['agent', 'arlo', [], '403'],
      ['supervisor', 'hrm', [], 'yyn'],
      ['supervisor', 'hrm', [grant(false)], 'yyy'],
      ['supervisor', 'arlo', [], '403'],
      ['supervisor', 'arlo', [grant(false)], 'yyy'],
      ['qa', 'arlo', [], '403'],
      ['qa', 'arlo', [grant(true)], 'nny'],
      ['qa', 'hrm', [], '403'],
      ['qa', 'hrm', [grant(true)], 'nny'],
    ];
    for (const [role, policy, grants, want] of table) {
      it(`${role} under ${policy} with ${grants.length} grant(s): ${want}`, async () => {
        assert.equal(await sees(role, policy, grants), want);
      });
    }

    it('qa under a policy without qa_pseudonymised sees all calls while granted', async () => {
      const policy = { ...POLICY_PRESETS.hrm, qa_pseudonymised: false };
      const v = await visibility(user('qa'), policy, async () => [grant(false)]);
      assert.deepEqual(
        [original, copy].map((r) => v.sees(r)),
        [true, true],
      );
    });

    it('asks for the grants on every call: a revoked grant counts at once', async () => {
      let grants: Grant[] = [grant(true)];
      const ask = async (): Promise<Grant[]> => grants;
      const v = await visibility(user('qa'), POLICY_PRESETS.arlo, ask);
      assert.equal(assertMayRead(v, copy), copy);
      assert.throws(() => assertMayRead(v, original), { status: 404 });
      assert.throws(() => assertMayRead(v, null), { status: 404 });
      grants = [];
      await assert.rejects(visibility(user('qa'), POLICY_PRESETS.arlo, ask), { status: 403 });
    });
  });
});
