import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, PRESET_NAMES } from '../../../agent/src/config/index.js';
import { makeTempDir, removeDir } from './helpers.js';

const FIRMWARE = join(process.cwd(), 'firmware-config');

describe('firmware-config', function () {
  this.timeout(5000);
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('dev.yaml loads for make run: loopback listeners, ./var, policy hrm', () => {
    const config = loadConfig({ file: join(FIRMWARE, 'dev.yaml'), cwd: dir });
    assert.deepEqual(config.sip.udp, { host: '127.0.0.1', port: 5060 });
    assert.deepEqual(config.sip.tcp, { host: '127.0.0.1', port: 5060 });
    assert.deepEqual(config.api.listen, { host: '127.0.0.1', port: 8443 });
    assert.deepEqual(config.metrics.listen, { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(config.metrics.allow, []);
    assert.equal(config.storage.dir, join(dir, 'var'));
    assert.equal(config.policy.name, 'hrm');
    assert.equal(config.sip.accept_plain_invite, true);
    assert.deepEqual(config.sip.trusted, ['127.0.0.0/8', '::1/128']);
    assert.equal(config.log.level, 'info');
  });

  for (const name of PRESET_NAMES) {
    it(`${name}.yaml loads with the ${name} preset and production paths`, () => {
      // Certificates and /var/lib do not exist here: point them at the temp dir.
      writeFileSync(join(dir, 'sip.crt'), 'x');
      writeFileSync(join(dir, 'sip.key'), 'x');
      const sets = [
        `storage.dir=${join(dir, 'callvault')}`,
        `sip.tls_cert=${join(dir, 'sip.crt')}`,
        `sip.tls_key=${join(dir, 'sip.key')}`,
      ];
      const config = loadConfig({ file: join(FIRMWARE, `${name}.yaml`), cwd: dir, sets });
      assert.equal(config.policy.name, name);
      assert.deepEqual(config.policy.overridden, []);
      assert.deepEqual(config.sip.trusted, ['192.0.2.0/24']);
      assert.equal(config.keys.master_key_file, '/etc/callvault/master.key');
      assert.deepEqual(config.api.listen, { host: '0.0.0.0', port: 8443 });
      // Metrics are plain HTTP without login: loopback unless the site names its scrapers.
      assert.deepEqual(config.metrics.listen, { host: '127.0.0.1', port: 9464 });
      assert.deepEqual(config.metrics.allow, []);
    });
  }
});
