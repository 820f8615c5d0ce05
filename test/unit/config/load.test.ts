import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, ConfigFileError, loadConfig } from '../../../agent/src/config/index.js';
import { UserError } from '../../../agent/src/common/index.js';
import { load, loadError, makeTempDir, removeDir } from './helpers.js';

const MINIMAL = 'storage:\n  dir: ./data\npolicy:\n  name: hrm\n';

describe('config/load', function () {
  this.timeout(5000);
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  describe('good configs', () => {
    it('fills every default and resolves relative paths against cwd', () => {
      const config = load(dir, MINIMAL);
      assert.equal(config.file, join(dir, 'cv.yaml'));
      assert.deepEqual(config.sip.udp, { host: '127.0.0.1', port: 5060 });
      assert.equal(config.sip.tls, null);
      assert.deepEqual(config.sip.trusted, ['127.0.0.0/8', '::1/128']);
      assert.equal(config.sip.accept_plain_invite, false);
      assert.equal(config.sip.max_message_bytes, 65535);
      assert.equal(config.sip.rate_limit_per_second, 2000);
      assert.deepEqual(config.media.rtp_ports, { low: 20000, high: 29999 });
      assert.equal(config.media.rtp_timeout_ms, 30000);
      assert.equal(config.tap.interface, null);
      assert.equal(config.storage.dir, join(dir, 'data'));
      assert.equal(config.storage.min_free_bytes, 2 ** 30);
      assert.equal(config.storage.segment_ms, 2000);
      assert.equal(config.keys.master_key_file, join(dir, 'data', 'keys', 'master.key'));
      assert.equal(config.keys.credential, 'callvault-master-key');
      assert.equal(config.api.session_lifetime_s, 8 * 3600);
      assert.equal(config.log.level, 'info');
      assert.equal(config.policy.name, 'hrm');
      assert.equal(config.policy.retention_days, 365);
      assert.deepEqual(config.policy.overridden, []);
    });

    it('lets --set override the file, later --set winning', () => {
      const config = load(
        dir,
        `${MINIMAL}sip:\n  udp: 127.0.0.1:5070\n  tls: 127.0.0.1:5061\n  tls_cert: nope.crt\n`,
        [
          'sip.udp=[::1]:5062',
          'sip.tls=off',
          'sip.tls_cert=',
          'sip.trusted=[127.0.0.1,10.0.0.0/8]',
          'sip.accept_plain_invite=true',
          'media.rtp_ports=30000-30099',
          'policy.name=arlo',
          'log.level=debug',
          'log.level=warn',
        ],
      );
      assert.deepEqual(config.sip.udp, { host: '::1', port: 5062 });
      assert.equal(config.sip.tls, null);
      assert.deepEqual(config.sip.trusted, ['127.0.0.1', '10.0.0.0/8']);
      assert.equal(config.sip.accept_plain_invite, true);
      assert.deepEqual(config.media.rtp_ports, { low: 30000, high: 30099 });
      assert.equal(config.policy.name, 'arlo');
      assert.equal(config.log.level, 'warn');
    });

    it('returns a deep-frozen config', () => {
      const config = load(dir, MINIMAL);
      assert.ok(
        Object.isFrozen(config) &&
          Object.isFrozen(config.sip.trusted) &&
          Object.isFrozen(config.policy.consent),
      );
      assert.throws(() => {
        (config.storage as { dir: string }).dir = '/tmp';
      }, TypeError);
      assert.throws(() => {
        (config.sip.trusted as string[]).push('0.0.0.0/0');
      }, TypeError);
      assert.throws(() => {
        (config.policies as Record<string, unknown>).x = 1;
      }, TypeError);
    });

    it('accepts byte counts with units and port 0 listeners', () => {
      const config = load(dir, MINIMAL.replace('./data\n', './data\n  min_free_bytes: 512 MiB\n'), [
        'api.listen=127.0.0.1:0',
        'metrics.listen=127.0.0.1:0',
      ]);
      assert.equal(config.storage.min_free_bytes, 512 * 2 ** 20);
      assert.deepEqual(config.api.listen, { host: '127.0.0.1', port: 0 });
    });

    it('accepts TLS when cert and key exist', () => {
      writeFileSync(join(dir, 'sip.crt'), 'x');
      writeFileSync(join(dir, 'sip.key'), 'x');
      const config = load(
        dir,
        `${MINIMAL}sip:\n  tls: 127.0.0.1:5061\n  tls_cert: sip.crt\n  tls_key: ${join(dir, 'sip.key')}\n`,
      );
      assert.deepEqual(config.sip.tls, { host: '127.0.0.1', port: 5061 });
      assert.equal(config.sip.tls_cert, join(dir, 'sip.crt'));
    });

    it('applies policy overrides and custom policies that extend a preset', () => {
      const text = `${MINIMAL.replace('name: hrm', 'name: short-hrm')}  retention_days: 7\n  custom:\n    short-hrm:\n      extends: hrm\n      retention_days: 90\n      consent:\n        mode: metadata\n`;
      const config = load(dir, text);
      assert.equal(config.policy.name, 'short-hrm');
      assert.equal(config.policy.retention_days, 7);
      assert.equal(config.policy.consent.mode, 'metadata');
      assert.equal(config.policy.consent.timeout_ms, 10000);
      assert.equal(config.policy.record_outbound, true);
      assert.deepEqual(config.policy.overridden, ['retention_days']);
      assert.equal(config.policies['short-hrm']?.retention_days, 90);
      assert.equal(config.policies.hrm?.retention_days, 365);
    });
  });

  describe('bad configs', () => {
    const cases: {
      name: string;
      text: string;
      sets?: string[];
      key: string;
      line?: number;
      hint?: string;
    }[] = [
      { name: 'unknown key', text: `${MINIMAL}sip:\n  bogus: 1\n`, key: 'sip.bogus', line: 6 },
      {
        name: 'near-miss typo',
        text: `${MINIMAL}sip:\n  trsuted: [127.0.0.1]\n`,
        key: 'sip.trsuted',
        line: 6,
        hint: 'sip.trusted',
      },
      {
        name: 'renamed key',
        text: `${MINIMAL}media:\n  rtp_port_min: 20000\n`,
        key: 'media.rtp_port_min',
        line: 6,
        hint: 'media.rtp_ports',
      },
      {
        name: 'key in the wrong section',
        text: `${MINIMAL}media:\n  trusted: []\n`,
        key: 'media.trusted',
        line: 6,
        hint: 'sip.trusted',
      },
      {
        name: 'unknown top-level section',
        text: `${MINIMAL}loging:\n  level: info\n`,
        key: 'loging',
        line: 5,
      },
      {
        name: 'wrong type',
        text: `${MINIMAL}sip:\n  accept_plain_invite: "yes"\n`,
        key: 'sip.accept_plain_invite',
        line: 6,
      },
      { name: 'section given a scalar', text: `${MINIMAL}media: 5\n`, key: 'media', line: 5 },
      {
        name: 'port out of range',
        text: `${MINIMAL}sip:\n  udp: 127.0.0.1:70000\n`,
        key: 'sip.udp',
        line: 6,
      },
      {
        name: 'bad ADDR:PORT',
        text: `${MINIMAL}api:\n  listen: localhost:8443\n`,
        key: 'api.listen',
        line: 6,
      },
      {
        name: 'bad CIDR in trusted',
        text: `${MINIMAL}sip:\n  trusted:\n    - 10.0.0.0/8\n    - 10.0.0.0/33\n`,
        key: 'sip.trusted',
        line: 8,
      },
      {
        name: 'CIDR with host bits',
        text: `${MINIMAL}sip:\n  trusted: [10.1.2.3/8]\n`,
        key: 'sip.trusted',
        line: 6,
        hint: '10.0.0.0/8',
      },
      {
        name: 'rtp range reversed',
        text: `${MINIMAL}media:\n  rtp_ports: 30000-20000\n`,
        key: 'media.rtp_ports',
        line: 6,
      },
      {
        name: 'rtp range odd LOW',
        text: `${MINIMAL}media:\n  rtp_ports: 20001-29999\n`,
        key: 'media.rtp_ports',
        line: 6,
      },
      {
        name: 'rtp range too small',
        text: `${MINIMAL}media:\n  rtp_ports: 20000-20000\n`,
        key: 'media.rtp_ports',
        line: 6,
      },
      {
        name: 'rtp range out of bounds',
        text: `${MINIMAL}media:\n\n  rtp_ports: 70000-80000\n`,
        key: 'media.rtp_ports',
        line: 7,
      },
      {
        name: 'storage dir parent missing',
        text: 'storage:\n  dir: ./no/such/data\npolicy:\n  name: hrm\n',
        key: 'storage.dir',
        line: 2,
      },
      {
        name: 'tls on without cert',
        text: `${MINIMAL}sip:\n  tls: 127.0.0.1:5061\n`,
        key: 'sip.tls_cert',
        line: 6,
      },
      {
        name: 'cert file missing',
        text: `${MINIMAL}api:\n  tls_cert: missing.crt\n  tls_key: missing.key\n`,
        key: 'api.tls_cert',
        line: 6,
      },
      {
        name: 'api cert without key',
        text: `${MINIMAL}api:\n  tls_key: /etc/hostname\n`,
        key: 'api.tls_cert',
        line: 6,
      },
      {
        name: 'unknown policy name',
        text: 'storage:\n  dir: ./data\npolicy:\n  name: hrn\n',
        key: 'policy.name',
        line: 4,
        hint: 'hrm',
      },
      { name: 'missing policy name', text: 'storage:\n  dir: ./data\n', key: 'policy.name' },
      {
        name: 'negative retention override',
        text: `${MINIMAL}  retention_days: -5\n`,
        key: 'policy.retention_days',
        line: 5,
      },
      {
        name: 'access reason switched off',
        text: `${MINIMAL}  require_access_reason: false\n`,
        key: 'policy.require_access_reason',
        line: 5,
      },
      {
        name: 'custom policy without extends misses fields',
        text: `${MINIMAL}  custom:\n    mine:\n      retention_days: 10\n`,
        key: 'policy.custom.mine.organisation',
        line: 6,
      },
      {
        name: 'custom policy shadows a preset',
        text: `${MINIMAL}  custom:\n    arlo:\n      extends: arlo\n`,
        key: 'policy.custom.arlo',
        line: 6,
      },
      {
        name: 'dtmf consent without digits',
        text: `${MINIMAL}  consent:\n    mode: dtmf\n`,
        key: 'policy.consent.accept_digit',
        line: 5,
      },
      { name: 'bad log level', text: `${MINIMAL}log:\n  level: verbose\n`, key: 'log.level', line: 6 },
      {
        name: 'segment too long',
        text: MINIMAL.replace('./data\n', './data\n  segment_ms: 5000\n'),
        key: 'storage.segment_ms',
        line: 3,
      },
      {
        name: 'YAML syntax error',
        text: `${MINIMAL}sip:\n  trusted: [127.0.0.1\n  udp: off\n`,
        key: '',
        line: 7,
      },
      {
        name: 'duplicate YAML key',
        text: `${MINIMAL}log:\n  level: info\n  level: warn\n`,
        key: '',
        line: 7,
      },
      {
        name: 'duplicate listeners',
        text: `${MINIMAL}api:\n  listen: 127.0.0.1:9000\nmetrics:\n  listen: 0.0.0.0:9000\n  allow: [192.0.2.10/32]\n`,
        key: 'metrics.listen',
        line: 8,
      },
      {
        name: 'metrics on the network without an allow-list',
        text: `${MINIMAL}metrics:\n  listen: 0.0.0.0:9464\n`,
        key: 'metrics.allow',
        line: 6,
      },
      {
        name: 'metrics.allow with host bits set',
        text: `${MINIMAL}metrics:\n  listen: 0.0.0.0:9464\n  allow: [192.0.2.10/24]\n`,
        key: 'metrics.allow',
        line: 7,
      },
      {
        name: 'listener on a default it clashes with',
        text: `${MINIMAL}api:\n  listen: 127.0.0.1:9464\n`,
        key: 'api.listen',
        line: 6,
      },
      {
        name: 'SIP port inside the RTP range',
        text: `${MINIMAL}sip:\n  udp: 127.0.0.1:20000\n`,
        key: 'sip.udp',
        line: 6,
      },
      { name: 'bad --set syntax', text: MINIMAL, sets: ['sip.udp'], key: 'sip.udp' },
      {
        name: '--set of unknown key',
        text: MINIMAL,
        sets: ['sip.tcpp=127.0.0.1:5060'],
        key: 'sip.tcpp',
        hint: 'sip.tcp',
      },
      { name: '--set with a bad value', text: MINIMAL, sets: ['sip.udp=127.0.0.1:99999'], key: 'sip.udp' },
      { name: '--set with bad YAML', text: MINIMAL, sets: ['sip.trusted=[1.2.3.4'], key: 'sip.trusted' },
    ];
    for (const c of cases) {
      it(`rejects: ${c.name}`, () => {
        const err = loadError(dir, c.text, c.sets);
        assert.equal(err.code, 'CV_ERR_CONFIG_INVALID');
        assert.ok(err instanceof UserError);
        const first = err.problems[0];
        assert.ok(first !== undefined);
        assert.equal(first.key, c.key);
        assert.equal(first.line, c.line);
        assert.equal(first.source, c.sets === undefined ? 'file' : '--set');
        assert.equal(err.context.key, c.key);
        assert.equal(err.context.file, join(dir, 'cv.yaml'));
        if (c.hint !== undefined) assert.ok(first.message.includes(c.hint), first.message);
      });
    }

    it('collects every problem, in file order, --set last, one line each', () => {
      const err = loadError(dir, `${MINIMAL}log:\n  level: loud\nsip:\n  udp: nowhere\n`, ['bogus.key=1']);
      assert.deepEqual(
        err.problems.map((p) => [p.key, p.line, p.source]),
        [
          ['log.level', 6, 'file'],
          ['sip.udp', 8, 'file'],
          ['bogus', undefined, '--set'],
        ],
      );
      const lines = err.message.split('\n');
      assert.equal(lines.length, 3);
      assert.match(lines[0] ?? '', /^config: log\.level \(cv\.yaml:6\): /);
      assert.match(lines[2] ?? '', /^config: bogus \(--set\): /);
    });

    it('reports a missing file with CV_ERR_CONFIG_FILE', () => {
      assert.throws(
        () => loadConfig({ file: 'absent.yaml', cwd: dir }),
        (err: unknown) =>
          err instanceof ConfigFileError && err instanceof ConfigError && err.code === 'CV_ERR_CONFIG_FILE',
      );
    });

    it('reports a directory given as the file with CV_ERR_CONFIG_FILE', () => {
      mkdirSync(join(dir, 'd.yaml'));
      assert.throws(() => loadConfig({ file: 'd.yaml', cwd: dir }), { code: 'CV_ERR_CONFIG_FILE' });
    });
  });
});
