// RFC 4475 and RFC 5118 torture messages (fixtures: test/fixtures/sip/README.md). Every valid
// message parses, re-serialises to the same model and gets no error response; every invalid one
// is refused by the parser with the expected reason or by validateRequest with the RFC's status.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import {
  SipParseError,
  parseMessage,
  responseFor,
  serializeMessage,
  validateRequest,
  type SipMessage,
} from '../../../agent/src/sip/index.js';

const FIXTURES = new URL('../../fixtures/sip/', import.meta.url);

type Expect = 'ok' | { reason: string } | { status: number };

/** RFC 4475 §3: section → file → what a UAS must do. */
const RFC4475: Record<string, Expect> = {
  // §3.1.1 valid messages
  wsinv: 'ok',
  intmeth: 'ok',
  esc01: 'ok',
  escnull: 'ok',
  esc02: 'ok',
  lwsdisp: 'ok',
  longreq: 'ok',
  dblreq: 'ok',
  semiuri: 'ok',
  transports: 'ok',
  mpart01: 'ok',
  unreason: 'ok',
  noreason: 'ok',
  // §3.1.2 invalid messages
  badinv01: { reason: 'bad-via' },
  clerr: { reason: 'content-length' },
  ncl: { reason: 'content-length' },
  scalar02: { reason: 'bad-cseq' },
  scalarlg: { reason: 'bad-cseq' },
  quotbal: { reason: 'bad-name-addr' },
  ltgtruri: { reason: 'bad-uri' },
  lwsruri: { reason: 'bad-start-line' },
  lwsstart: { reason: 'bad-start-line' },
  trws: { reason: 'bad-start-line' },
  escruri: { status: 400 },
  baddate: { status: 400 },
  regbadct: { status: 400 },
  badaspec: { reason: 'bad-name-addr' },
  baddn: { reason: 'bad-name-addr' },
  badvers: { status: 505 },
  mismatch01: { status: 400 },
  mismatch02: { status: 400 },
  bigcode: { reason: 'bad-start-line' },
  // §3.2 transaction layer: a bare magic-cookie branch is still processed
  badbranch: 'ok',
  // §3.3 application layer
  insuf: { reason: 'missing-header' },
  unkscm: { status: 416 },
  novelsc: { status: 416 },
  unksm2: 'ok',
  bext01: { status: 420 },
  invut: 'ok',
  regaut01: 'ok',
  multi01: { reason: 'duplicate-header' },
  mcl01: { reason: 'content-length' },
  bcast: 'ok',
  zeromf: 'ok',
  cparam01: 'ok',
  cparam02: 'ok',
  regescrt: 'ok',
  sdp01: 'ok',
  // §3.4 backward compatibility
  inv2543: 'ok',
};

const RFC5118: Record<string, Expect> = {
  'ipv6-good': 'ok',
  'ipv6-bad': { reason: 'bad-uri' },
  'port-ambiguous': 'ok',
  'port-unambiguous': 'ok',
  'via-received-param-with-delim': 'ok',
  'via-received-param-no-delim': 'ok',
  'ipv6-in-sdp': 'ok',
  'mult-ip-in-header': 'ok',
  'mult-ip-in-sdp': 'ok',
  'ipv4-mapped-ipv6': 'ok',
  'ipv6-bug-abnf-3-colons': { reason: 'bad-uri' },
  'ipv6-correct-abnf-2-colons': 'ok',
};

function load(dir: string, name: string): Buffer {
  return readFileSync(new URL(`${dir}/${name}.dat`, FIXTURES));
}

/**
 * The model minus Content-Length (serialisation always writes the body length) and the raw
 * spelling of header names (compact forms are written long).
 */
function comparable(m: SipMessage): unknown {
  const { contentLength: _cl, headers, ...rest } = m;
  return {
    ...rest,
    headers: headers
      .filter((h) => h.name !== 'content-length')
      .map((h) => ({ name: h.name, value: h.value })),
  };
}

function check(dir: string, name: string, expected: Expect): void {
  const buf = load(dir, name);
  if (typeof expected === 'object' && 'reason' in expected) {
    assert.throws(
      () => parseMessage(buf),
      (err: unknown) =>
        err instanceof SipParseError && err.code === 'CV_ERR_SIP_PARSE' && err.reason === expected.reason,
    );
    return;
  }
  const msg = parseMessage(buf);
  if (msg.kind === 'request') {
    const problem = validateRequest(msg);
    if (expected === 'ok') {
      assert.equal(problem, undefined, `unexpected ${problem?.status} ${problem?.problem}`);
    } else {
      assert.equal(problem?.status, expected.status);
      const res = responseFor(msg);
      assert.equal(res?.status, expected.status);
      assert.equal(res?.callId, msg.callId);
    }
  } else {
    assert.equal(expected, 'ok');
  }
  const again = parseMessage(serializeMessage(msg));
  assert.deepEqual(comparable(again), comparable(msg));
}

describe('sip torture messages', function () {
  this.timeout(10_000);

  it('has a fixture for every RFC 4475 case and an expectation for every fixture', () => {
    const files = readdirSync(new URL('rfc4475/', FIXTURES)).map((f) => f.replace(/\.dat$/, ''));
    assert.deepEqual(files.sort(), Object.keys(RFC4475).sort());
    assert.equal(files.length, 49);
    const v6 = readdirSync(new URL('rfc5118/', FIXTURES)).map((f) => f.replace(/\.dat$/, ''));
    assert.deepEqual(v6.sort(), Object.keys(RFC5118).sort());
  });

  for (const [name, expected] of Object.entries(RFC4475)) {
    it(`RFC 4475 ${name}: ${typeof expected === 'string' ? expected : JSON.stringify(expected)}`, () => {
      check('rfc4475', name, expected);
    });
  }

  for (const [name, expected] of Object.entries(RFC5118)) {
    it(`RFC 5118 ${name}: ${typeof expected === 'string' ? expected : JSON.stringify(expected)}`, () => {
      check('rfc5118', name, expected);
    });
  }

  it('wsinv: folding, compact forms, LWS and escapes land in the model', () => {
    const m = parseMessage(load('rfc4475', 'wsinv'));
    assert.equal(m.kind, 'request');
    assert.equal(m.cseq.seq, 9);
    assert.equal(m.cseq.method, 'INVITE');
    assert.equal(m.maxForwards, 68);
    assert.equal(m.to.tag, '1918181833n');
    assert.equal(m.from.displayName, 'J Rosenberg \\"');
    assert.equal(m.from.tag, '98asjd8');
    assert.deepEqual(
      m.via.map((v) => [v.transport, v.host, v.branch]),
      [
        ['UDP', '192.0.2.2', '390skdjuw'],
        ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
        ['UDP', '192.168.255.111', 'z9hG4bK30239'],
      ],
    );
    assert.equal(m.body.length, 150);
  });

  it('dblreq: only the first request of the datagram is read', () => {
    const m = parseMessage(load('rfc4475', 'dblreq'));
    assert.equal(m.kind === 'request' && m.method, 'REGISTER');
    assert.equal(m.body.length, 0);
  });

  it('intmeth: escaped NUL/BEL in a quoted display name and UTF-8 values survive', () => {
    const m = parseMessage(load('rfc4475', 'intmeth'));
    assert.equal(m.kind === 'request' && m.method, "!interesting-Method0123456789_*+`.%indeed'~");
    assert.equal(m.to.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
    assert.equal(m.from.displayName, "token1~` token2'+_ token3*%!.-");
  });
});
