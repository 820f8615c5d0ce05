/*
 * vault-seal: AES-256-GCM sealing of a vault record in place, as a Node-API addon.
 *
 * Why: node's Cipher.update() returns a new buffer per call, so every audio segment left its
 * ciphertext (64 KiB per call every 2 s: 40 MB/s at 1 250 calls) as garbage for the
 * collector, and that garbage was most of the daemon's resident memory under load. Sealing in
 * place lets the segment's own pooled chunks carry the ciphertext to the disk and go back to
 * the pool. The cipher is node's own OpenSSL (its symbols are exported to addons, its headers
 * ship next to node_api.h), so the bytes are the ones node:crypto produces — a unit test
 * compares them.
 *
 * seal(key[32], iv[12], aad[], pieces[], tag[16]): encrypts each piece in place, as one GCM
 * stream over their concatenation, and writes the tag. Synchronous: a segment takes ~30 µs.
 * open(key[32], iv[12], aad[], data, tag[16]) → boolean: decrypts data in place and says
 * whether the tag matched (false: data is garbage and must not be used). The writer's final
 * digest pass reads every record back through one reused buffer with it.
 *
 * Anything but a Buffer (or Uint8Array) where one is expected is refused with a TypeError whose
 * code is CV_ERR_VAULT_NATIVE, before anything is encrypted; other failures are Errors with the
 * same code.
 */
#define CV_NATIVE_CODE "CV_ERR_VAULT_NATIVE"
#include "napi-util.h"
#include <openssl/evp.h>
#include <stdint.h>

#define KEY_BYTES 32
#define IV_BYTES 12
#define TAG_BYTES 16

/*
 * Feeds each Buffer of a JS array to the cipher, as AAD (in_place false) or transformed in
 * place. Anything but an array of Buffers is refused with a coded TypeError: a skipped piece
 * would leave plaintext on disk, and a skipped AAD a tag over less than the record. False after
 * throwing.
 */
static bool each_buffer(napi_env env, napi_value arr, EVP_CIPHER_CTX *ctx, bool encrypt, bool in_place,
                        const char *refusal) {
  uint32_t n = 0;
  bool is_arr = false;
  CV_CHECK(env, napi_is_array(env, arr, &is_arr));
  if (!is_arr) goto refuse;
  CV_CHECK(env, napi_get_array_length(env, arr, &n));
  /* Every element checked before any is transformed: a refusal leaves the pieces as they were. */
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    uint8_t *p = NULL;
    size_t len = 0;
    CV_CHECK(env, napi_get_element(env, arr, i, &el));
    if (!cv_buffer(env, el, &p, &len)) goto refuse;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    uint8_t *p = NULL;
    size_t len = 0;
    CV_CHECK(env, napi_get_element(env, arr, i, &el));
    if (!cv_buffer(env, el, &p, &len)) goto refuse;
    if (len == 0) continue;
    if (len > INT32_MAX) {
      cv_throw(env, CV_NATIVE_CODE, "a piece over 2 GiB");
      return false;
    }
    int outl = 0;
    /* GCM is a stream mode: in place (out == in) is allowed and outl == len. */
    uint8_t *out = in_place ? p : NULL;
    int ok = encrypt ? EVP_EncryptUpdate(ctx, out, &outl, p, (int)len) : EVP_DecryptUpdate(ctx, out, &outl, p, (int)len);
    if (ok != 1) {
      cv_throw(env, CV_NATIVE_CODE, "AES-256-GCM failed");
      return false;
    }
  }
  return true;
refuse:
  cv_throw_type(env, CV_NATIVE_CODE, refusal);
  return false;
fail:
  return false;
}

/*
 * The common start of seal and open: five arguments (key, iv, aad[], pieces or data, tag),
 * checked, and a context keyed for AES-256-GCM in the given direction with the AAD fed in.
 * NULL after throwing; the caller frees the context (which cleanses the key schedule).
 */
static EVP_CIPHER_CTX *start(napi_env env, napi_callback_info info, bool encrypt, napi_value argv[5], uint8_t **tag) {
  if (!cv_args(env, info, 5, argv)) {
    cv_throw_type(env, CV_NATIVE_CODE, "seal/open(key, iv, aad[], pieces, tag) needs five arguments");
    return NULL;
  }
  size_t key_len = 0, iv_len = 0, tag_len = 0;
  uint8_t *key = NULL, *iv = NULL;
  if (!cv_buffer(env, argv[0], &key, &key_len) || !cv_buffer(env, argv[1], &iv, &iv_len) ||
      !cv_buffer(env, argv[4], tag, &tag_len)) {
    cv_throw_type(env, CV_NATIVE_CODE, "seal/open need a 32-byte key, a 12-byte iv and a 16-byte tag buffer");
    return NULL;
  }
  if (key_len != KEY_BYTES || iv_len != IV_BYTES || tag_len != TAG_BYTES) {
    cv_throw(env, CV_NATIVE_CODE, "seal/open need a 32-byte key, a 12-byte iv and a 16-byte tag buffer");
    return NULL;
  }
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL) {
    cv_throw(env, CV_NATIVE_CODE, "cannot allocate a cipher context");
    return NULL;
  }
  const EVP_CIPHER *gcm = EVP_aes_256_gcm();
  bool ok = (encrypt ? EVP_EncryptInit_ex(ctx, gcm, NULL, NULL, NULL) : EVP_DecryptInit_ex(ctx, gcm, NULL, NULL, NULL)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, IV_BYTES, NULL) == 1 &&
            (encrypt ? EVP_EncryptInit_ex(ctx, NULL, NULL, key, iv) : EVP_DecryptInit_ex(ctx, NULL, NULL, key, iv)) == 1;
  if (!ok) {
    EVP_CIPHER_CTX_free(ctx);
    cv_throw(env, CV_NATIVE_CODE, "AES-256-GCM failed");
    return NULL;
  }
  if (!each_buffer(env, argv[2], ctx, encrypt, false, "aad must be an array of Buffers")) {
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

static napi_value seal(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  uint8_t *tag = NULL;
  EVP_CIPHER_CTX *ctx = start(env, info, true, argv, &tag);
  if (ctx == NULL) return NULL;
  if (!each_buffer(env, argv[3], ctx, true, true, "pieces must be an array of Buffers")) {
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
  }
  int outl = 0;
  uint8_t none[16];
  bool ok = EVP_EncryptFinal_ex(ctx, none, &outl) == 1 && outl == 0 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, tag) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) cv_throw(env, CV_NATIVE_CODE, "AES-256-GCM failed");
  return NULL;
}

static napi_value open_in_place(napi_env env, napi_callback_info info) {
  napi_value argv[5], result;
  uint8_t *tag = NULL, *data = NULL;
  size_t len = 0;
  EVP_CIPHER_CTX *ctx = start(env, info, false, argv, &tag);
  if (ctx == NULL) return NULL;
  if (!cv_buffer(env, argv[3], &data, &len)) {
    cv_throw_type(env, CV_NATIVE_CODE, "open needs a Buffer to decrypt");
    goto fail;
  }
  if (len > INT32_MAX) {
    cv_throw(env, CV_NATIVE_CODE, "open needs a Buffer under 2 GiB");
    goto fail;
  }
  int outl = 0;
  uint8_t none[16];
  bool ok = (len == 0 || EVP_DecryptUpdate(ctx, data, &outl, data, (int)len) == 1) &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag) == 1;
  /* Final checks the tag; a mismatch is an answer (false), not an error. */
  bool authentic = ok && EVP_DecryptFinal_ex(ctx, none, &outl) == 1;
  if (!ok) {
    cv_throw(env, CV_NATIVE_CODE, "AES-256-GCM failed");
    goto fail;
  }
  CV_CHECK(env, napi_get_boolean(env, authentic, &result));
  EVP_CIPHER_CTX_free(ctx);
  return result;
fail:
  EVP_CIPHER_CTX_free(ctx);
  return NULL;
}

CV_METHODS_MODULE(CV_METHOD("seal", seal, napi_default),
                  CV_METHOD("open", open_in_place, napi_default))
