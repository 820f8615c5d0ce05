import assert from 'node:assert/strict';
import { describeConfig } from '../../../agent/src/config/index.js';
import { load, makeTempDir, removeDir } from './helpers.js';

describe('config/describe', function () {
  this.timeout(5000);
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('gives plain JSON with listeners and ranges in YAML spelling', () => {
    const config = load(dir, 'storage:\n  dir: ./data\npolicy:\n  name: arlo\n', [
      'sip.tls=off',
      'api.listen=[::1]:8443',
    ]);
    const described = describeConfig(config);
    const roundTrip = JSON.parse(JSON.stringify(described)) as Record<string, Record<string, unknown>>;
    assert.deepEqual(roundTrip, described);
    assert.equal(roundTrip.sip?.udp, '127.0.0.1:5060');
    assert.equal(roundTrip.sip?.tls, 'off');
    assert.equal(roundTrip.api?.listen, '[::1]:8443');
    assert.equal(roundTrip.media?.rtp_ports, '20000-29999');
    assert.equal(roundTrip.policy?.name, 'arlo');
    assert.deepEqual(roundTrip.policies_known, ['victoriahem', 'hrm', 'retta', 'upplands-bro', 'arlo']);
  });
});
