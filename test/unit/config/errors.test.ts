import assert from 'node:assert/strict';
import { CallvaultError, UserError, exitCodeFor, EXIT_USER } from '../../../agent/src/common/index.js';
import {
  CONFIG_ERROR_CODES,
  ConfigError,
  ConfigFileError,
  ForeignOwnerError,
} from '../../../agent/src/config/index.js';

describe('config/errors', function () {
  this.timeout(2000);

  it('every config error class is a coded user error (exit 1)', () => {
    const table: [ConfigError, string][] = [
      [
        new ConfigError('/etc/cv.yaml', 'cv.yaml', [
          { key: 'sip.udp', line: 3, source: 'file', message: 'bad' },
        ]),
        CONFIG_ERROR_CODES.invalid,
      ],
      [new ConfigFileError('/etc/cv.yaml', 'cv.yaml', 'missing'), CONFIG_ERROR_CODES.file],
    ];
    for (const [err, code] of table) {
      assert.ok(err instanceof CallvaultError && err instanceof UserError && err instanceof ConfigError);
      assert.equal(err.code, code);
      assert.equal(exitCodeFor(err), EXIT_USER);
      assert.ok(err.problems.length > 0 && Object.isFrozen(err.problems));
    }
  });

  it('a foreign owner of storage or keys is a coded user error naming the key', () => {
    const err = new ForeignOwnerError('storage.dir', '/srv/cv', 'uid 1001', 'callvault (uid 998)');
    assert.ok(err instanceof UserError);
    assert.equal(err.code, CONFIG_ERROR_CODES.foreignOwner);
    assert.equal(exitCodeFor(err), EXIT_USER);
    assert.equal(err.context.key, 'storage.dir');
  });

  it('formats one line per problem in the STYLE format and carries key, line and file', () => {
    const err = new ConfigError('/etc/cv.yaml', 'cv.yaml', [
      { key: 'media.rtp_ports', line: 14, source: 'file', message: 'must be "LOW-HIGH"' },
      { key: 'sip.udp', source: '--set', message: 'must be "ADDR:PORT"' },
      { key: '', line: 2, source: 'file', message: 'invalid YAML' },
    ]);
    assert.deepEqual(err.message.split('\n'), [
      'config: media.rtp_ports (cv.yaml:14): must be "LOW-HIGH"',
      'config: sip.udp (--set): must be "ADDR:PORT"',
      'config: cv.yaml:2: invalid YAML',
    ]);
    assert.deepEqual(err.context, { key: 'media.rtp_ports', line: 14, file: '/etc/cv.yaml' });
  });
});
