import assert from 'node:assert/strict';
import {
  formatListen,
  parseBytes,
  parseCidr,
  parseListen,
  parsePortRange,
  type Parsed,
} from '../../../agent/src/config/values.js';

describe('config/values', function () {
  this.timeout(2000);

  // Each parser: what it accepts (and the value it makes), then what it refuses.
  const parsers: {
    name: string;
    parse: (raw: unknown) => Parsed<unknown>;
    good: [raw: unknown, value: unknown][];
    bad: unknown[];
  }[] = [
    {
      name: 'parses IPv4 and bracketed IPv6 listeners and off',
      parse: parseListen,
      good: [
        ['0.0.0.0:5060', { host: '0.0.0.0', port: 5060 }],
        ['[::1]:8443', { host: '::1', port: 8443 }],
        ['off', null],
        [null, null],
      ],
      bad: ['::1:8443', 'localhost:80', '1.2.3:80', '1.2.3.4', '1.2.3.4:65536', '[1.2.3.4]:80', 5060, true],
    },
    {
      name: 'parses port ranges: even LOW, LOW < HIGH, 1024-65535',
      parse: parsePortRange,
      good: [
        ['20000-29999', { low: 20000, high: 29999 }],
        ['1024 - 1025', { low: 1024, high: 1025 }],
      ],
      bad: ['1000-2000', '20000-70000', '30000-20000', '20001-20003', '20000-20000', '20000', 20000, null],
    },
  ];
  for (const c of parsers) {
    it(c.name, () => {
      for (const [raw, value] of c.good) assert.deepEqual(c.parse(raw), { ok: true, value });
      for (const bad of c.bad) {
        assert.equal(c.parse(bad).ok, false, String(bad));
      }
    });
  }

  it('formats listeners back to their YAML spelling', () => {
    assert.equal(formatListen({ host: '::', port: 5061 }), '[::]:5061');
    assert.equal(formatListen({ host: '10.0.0.1', port: 1 }), '10.0.0.1:1');
    assert.equal(formatListen(null), 'off');
  });

  it('accepts v4/v6 addresses and CIDRs without host bits', () => {
    for (const good of [
      '127.0.0.1',
      '10.0.0.0/8',
      '0.0.0.0/0',
      '::1',
      '::1/128',
      '2001:db8::/32',
      'fe80::/10',
      '::ffff:10.0.0.0/104',
    ]) {
      assert.equal(parseCidr(good).ok, true, good);
    }
    for (const bad of [
      '10.0.0.0/33',
      '10.0.0.1/8',
      '2001:db8::1/32',
      '::/129',
      'example.com',
      '10.0.0.0/',
      '10.0.0.0/x',
      7,
    ]) {
      assert.equal(parseCidr(bad).ok, false, String(bad));
    }
  });

  it('parses byte counts with binary and decimal units', () => {
    assert.deepEqual(parseBytes('1 GiB', 0), { ok: true, value: 2 ** 30 });
    assert.deepEqual(parseBytes('500MB', 0), { ok: true, value: 5e8 });
    assert.deepEqual(parseBytes(4096, 0), { ok: true, value: 4096 });
    for (const bad of ['1 GB!', 'lots', -1, 1.5, '1 XB'])
      assert.equal(parseBytes(bad, 0).ok, false, String(bad));
  });
});
