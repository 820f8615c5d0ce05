import assert from 'node:assert/strict';
import { CallvaultError, IntegrityError, UserError, exitCodeFor } from '../../../agent/src/common/index.js';
import * as errors from '../../../agent/src/vault/errors.js';

type Ctor = new (message: string) => CallvaultError;

const TABLE: [Ctor, string, 1 | 2 | 3][] = [
  [errors.VaultStorageError, 'CV_ERR_VAULT_STORAGE', 1],
  [errors.VaultKeyMismatchError, 'CV_ERR_VAULT_KEY_MISMATCH', 1],
  [errors.VaultKeyPermissionsError, 'CV_ERR_VAULT_KEY_PERMISSIONS', 1],
  [errors.VaultKeyFormatError, 'CV_ERR_VAULT_KEY_FORMAT', 1],
  [errors.VaultKeyMissingError, 'CV_ERR_VAULT_KEY_MISSING', 1],
  [errors.VaultKeyReadonlyError, 'CV_ERR_VAULT_KEY_READONLY', 1],
  [errors.VaultNotFoundError, 'CV_ERR_VAULT_NOT_FOUND', 1],
  [errors.VaultExistsError, 'CV_ERR_VAULT_EXISTS', 1],
  [errors.VaultBadWavError, 'CV_ERR_VAULT_BAD_WAV', 1],
  [errors.VaultBadFormatError, 'CV_ERR_VAULT_BAD_FORMAT', 1],
  [errors.VaultBadRangeError, 'CV_ERR_VAULT_BAD_RANGE', 1],
  [errors.VaultNotAContainerError, 'CV_ERR_VAULT_NOT_A_CONTAINER', 2],
  [errors.VaultReorderedError, 'CV_ERR_VAULT_REORDERED', 2],
  [errors.VaultTamperedError, 'CV_ERR_VAULT_TAMPERED', 2],
  [errors.VaultTruncatedError, 'CV_ERR_VAULT_TRUNCATED', 2],
  [errors.VaultKeyDestroyedError, 'CV_ERR_VAULT_KEY_DESTROYED', 2],
  [errors.VaultBadSignatureError, 'CV_ERR_VAULT_BAD_SIGNATURE', 2],
  [errors.VaultDigestMismatchError, 'CV_ERR_VAULT_DIGEST_MISMATCH', 2],
  [errors.VaultContainerMissingError, 'CV_ERR_VAULT_CONTAINER_MISSING', 2],
  [errors.VaultKeystoreCorruptError, 'CV_ERR_VAULT_KEYSTORE_CORRUPT', 2],
  [errors.VaultStateTamperedError, 'CV_ERR_VAULT_STATE_TAMPERED', 2],
  [errors.VaultKeystoreMissingError, 'CV_ERR_VAULT_KEYSTORE_MISSING', 2],
  [errors.VaultKeyNotRegularError, 'CV_ERR_VAULT_KEY_NOT_REGULAR', 1],
  [errors.VaultDiskFullError, 'CV_ERR_VAULT_DISK_FULL', 3],
  [errors.VaultWriteFailedError, 'CV_ERR_VAULT_WRITE_FAILED', 3],
  [errors.VaultClosedError, 'CV_ERR_VAULT_CLOSED', 3],
];

describe('vault/errors', () => {
  it('every error class has its stable code and exit class', () => {
    const classes = Object.values(errors).filter(
      (v) => typeof v === 'function' && v.prototype instanceof CallvaultError,
    );
    assert.equal(classes.length, TABLE.length, 'the table covers every class');
    for (const [C, code, exit] of TABLE) {
      const e = new C('m');
      assert.ok(e instanceof CallvaultError);
      assert.equal(e.code, code);
      assert.equal(e.name, C.name);
      assert.equal(exitCodeFor(e), exit);
      assert.equal(e instanceof IntegrityError, exit === 2);
      assert.equal(e instanceof UserError, exit === 1);
    }
  });

  it('writeFailure maps ENOSPC/EDQUOT to DISK_FULL and other errors to WRITE_FAILED', () => {
    const enospc = Object.assign(new Error('x'), { code: 'ENOSPC' });
    assert.equal(errors.writeFailure(enospc, { recordingId: 'r' }).code, 'CV_ERR_VAULT_DISK_FULL');
    assert.equal(
      errors.writeFailure(Object.assign(new Error('x'), { code: 'EDQUOT' }), {}).code,
      'CV_ERR_VAULT_DISK_FULL',
    );
    const other = errors.writeFailure(Object.assign(new Error('x'), { code: 'EIO' }), { recordingId: 'r' });
    assert.equal(other.code, 'CV_ERR_VAULT_WRITE_FAILED');
    assert.equal(other.context.errno, 'EIO');
    assert.ok(other.cause instanceof Error);
  });
});
