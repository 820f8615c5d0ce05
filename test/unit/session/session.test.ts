import assert from 'node:assert/strict';
import {
  Session,
  SessionEndedError,
  SessionInvalidError,
  type EndReason,
} from '../../../agent/src/session/index.js';
import { sessionInfo } from './helpers.js';

describe('session/session', function () {
  this.timeout(2000);

  it('exposes a frozen snapshot of the info it was given', () => {
    const s = new Session(sessionInfo());
    assert.equal(s.id, 'sess-1');
    assert.ok(Object.isFrozen(s.info));
    assert.ok(Object.isFrozen(s.info.participants));
    assert.ok(Object.isFrozen(s.info.participants[0]));
    assert.throws(() => {
      (s.info.participants as unknown as unknown[]).push({});
    }, TypeError);
  });

  it('update() emits updated with only the fields that changed', () => {
    const s = new Session(sessionInfo());
    const seen: string[][] = [];
    s.on('updated', (_info, changed) => seen.push([...changed]));
    const answeredAt = new Date('2024-05-14T08:00:03Z');
    const changed = s.update({ answeredAt, service: null, direction: 'inbound' });
    assert.deepEqual(changed, ['answeredAt']);
    assert.deepEqual(seen, [['answeredAt']]);
    assert.equal(s.info.answeredAt?.getTime(), answeredAt.getTime());
    assert.deepEqual(s.update({ answeredAt: new Date(answeredAt) }), []);
    assert.equal(seen.length, 1, 'an equal value is not a change');
  });

  it('update() replaces the snapshot instead of mutating the old one', () => {
    const s = new Session(sessionInfo());
    const before = s.info;
    s.update({ service: 'Kundtjänst' });
    assert.equal(before.service, null);
    assert.equal(s.info.service, 'Kundtjänst');
  });

  it('rejects info whose streams or sides name unknown participants', () => {
    assert.throws(
      () => new Session(sessionInfo({ customerParticipantId: 'nobody' })),
      (e: unknown) => e instanceof SessionInvalidError && e.code === 'CV_ERR_SESSION_INVALID',
    );
    const s = new Session(sessionInfo());
    assert.throws(
      () => s.update({ streams: [{ ...sessionInfo().streams[0]!, participantId: 'ghost' }] }),
      (e: unknown) => e instanceof SessionInvalidError && e.code === 'CV_ERR_SESSION_INVALID',
    );
    assert.equal(s.info.streams[0]?.participantId, 'c', 'a rejected update leaves the session unchanged');
  });

  it('pause/resume and hold/unhold emit only on a state change', () => {
    const s = new Session(sessionInfo());
    const events: string[] = [];
    for (const e of ['paused', 'resumed', 'hold', 'unhold'] as const) s.on(e, () => events.push(e));
    assert.equal(s.pause(), true);
    assert.equal(s.pause(), false);
    assert.equal(s.paused, true);
    assert.equal(s.hold(), true);
    assert.equal(s.onHold, true);
    assert.equal(s.resume(), true);
    assert.equal(s.resume(), false);
    assert.equal(s.unhold(), true);
    assert.equal(s.unhold(), false);
    assert.deepEqual(events, ['paused', 'hold', 'resumed', 'unhold']);
  });

  it('forwards dtmf events with their data', () => {
    const s = new Session(sessionInfo());
    const digits: string[] = [];
    s.on('dtmf', (ev) => digits.push(`${ev.digit}/${ev.durationMs}/${ev.streamLabel}`));
    s.dtmf({ digit: '1', at: new Date(), durationMs: 120, streamLabel: '1' });
    assert.deepEqual(digits, ['1/120/1']);
  });

  it('end() is idempotent: the first reason wins and ended fires once', () => {
    const s = new Session(sessionInfo());
    const ended: EndReason[] = [];
    s.on('ended', (reason) => ended.push(reason));
    assert.equal(s.end('bye'), true);
    assert.equal(s.end('rtp_timeout'), false);
    assert.deepEqual(ended, ['bye']);
    assert.equal(s.ended, true);
    assert.equal(s.endReason, 'bye');
  });

  it('verbs after end() fail with CV_ERR_SESSION_ENDED', () => {
    const s = new Session(sessionInfo());
    s.end('shutdown');
    const isEnded = (e: unknown): boolean =>
      e instanceof SessionEndedError && e.code === 'CV_ERR_SESSION_ENDED';
    assert.throws(() => s.update({ service: 'x' }), isEnded);
    assert.throws(() => s.pause(), isEnded);
    assert.throws(() => s.hold(), isEnded);
    assert.throws(() => s.dtmf({ digit: '2', at: new Date(), durationMs: 40, streamLabel: null }), isEnded);
  });

  it('a throwing listener does not stop other listeners or the state change', () => {
    const s = new Session(sessionInfo());
    let second = 0;
    s.on('ended', () => {
      throw new Error('listener bug');
    });
    s.on('ended', () => second++);
    assert.equal(s.end('error'), true);
    assert.equal(second, 1);
    assert.equal(s.listenerErrors, 1);
    assert.equal(s.ended, true);
  });
});
