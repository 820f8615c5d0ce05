// SIPp (Debian sip-tester) against a SipStack on 127.0.0.1 over UDP and TCP, with the scenario
// files in test/fixtures/sip/sipp/. Skipped when sipp is not installed (`make test` installs it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../../agent/src/common/index.js';
import { createSipStack, type SipStack } from '../../../agent/src/sip/index.js';
import { runSipp } from '../../helpers/sipp.js';

const SCENARIOS = fileURLToPath(new URL('../../fixtures/sip/sipp/', import.meta.url));
const HAVE_SIPP = spawnSync('sipp', ['-v'], { stdio: 'ignore' }).error === undefined;
const SDP =
  'v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=recvonly\r\n';

/** Runs one scenario on ports of SIPp's own; resolves with SIPp's exit code (0: every call succeeded). */
async function sipp(
  scenario: string,
  transport: 'u1' | 't1',
  target: number,
  calls: number,
  extra: string[] = [],
): Promise<number> {
  const args = [
    '-sf',
    `${SCENARIOS}${scenario}.xml`,
    `127.0.0.1:${target}`,
    '-i',
    '127.0.0.1',
    '-t',
    transport,
    '-m',
    String(calls),
    '-nostdin',
    '-timeout',
    '20s',
    '-timeout_error',
    ...extra,
  ];
  return (await runSipp(args, { killAfterMs: 25_000 })).code;
}

(HAVE_SIPP ? describe : describe.skip)('sip stack with SIPp', function () {
  this.timeout(30_000);
  let stack: SipStack | undefined;
  let ports = { udp: 0, tcp: 0 };

  beforeEach(async () => {
    stack = await createSipStack({
      udp: '127.0.0.1:0',
      tcp: '127.0.0.1:0',
      trusted: ['127.0.0.1'],
      timers: { t1Ms: 50, t2Ms: 400, t4Ms: 500 },
      log: silentLogger(),
    });
    stack.on('invite', (req, tx) => {
      if (req.requestUri.kind === 'sip' && req.requestUri.user === 'noanswer') return;
      tx.respond(200, 'OK', [['Content-Type', 'application/sdp']], Buffer.from(SDP));
    });
    stack.on('reinvite', (_req, tx) =>
      tx.respond(200, 'OK', [['Content-Type', 'application/sdp']], Buffer.from(SDP)),
    );
    const port = (t: string): number => stack?.addresses.find((a) => a.transport === t)?.port ?? 0;
    ports = { udp: port('udp'), tcp: port('tcp') };
  });

  afterEach(async () => {
    await stack?.close();
  });

  for (const [transport, key] of [
    ['u1', 'udp'],
    ['t1', 'tcp'],
  ] as const) {
    it(`${key}: UAC call INVITE/200/ACK/BYE completes, 20 calls`, async () => {
      assert.equal(await sipp('uac-call', transport, ports[key], 20, ['-r', '20']), 0);
      assert.equal(stack?.dialogs().length, 0);
    });

    it(`${key}: OPTIONS ping gets 200`, async () => {
      assert.equal(await sipp('uac-options', transport, ports[key], 5), 0);
    });

    it(`${key}: CANCEL before answer gets 487`, async () => {
      assert.equal(await sipp('uac-cancel', transport, ports[key], 3), 0);
    });

    it(`${key}: re-INVITE within the dialog is answered`, async () => {
      assert.equal(await sipp('uac-reinvite', transport, ports[key], 3), 0);
    });
  }

  it('udp: lost ACK → 2xx retransmissions, then BYE from the SRS', async () => {
    let timeouts = 0;
    stack?.on('ack-timeout', () => timeouts++);
    assert.equal(await sipp('uac-lost-ack', 'u1', ports.udp, 1), 0);
    assert.equal(timeouts, 1);
    assert.ok((stack?.stats().retransmissions ?? 0) >= 3);
  });
});
