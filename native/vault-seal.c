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
 */
#include <node_api.h>
#include <openssl/evp.h>
#include <stdint.h>

#define KEY_BYTES 32
#define IV_BYTES 12
#define TAG_BYTES 16

static void throw_seal(napi_env env, const char *what) {
  napi_throw_error(env, "CV_ERR_VAULT_NATIVE", what);
}

/* The bytes of a Buffer or Uint8Array argument, or NULL. */
static uint8_t *bytes_of(napi_env env, napi_value v, size_t *len) {
  bool is_buf = false;
  void *data = NULL;
  if (napi_is_buffer(env, v, &is_buf) != napi_ok || !is_buf) return NULL;
  if (napi_get_buffer_info(env, v, &data, len) != napi_ok) return NULL;
  return data != NULL || *len == 0 ? (uint8_t *)data : NULL;
}

/*
 * Feeds each Buffer of a JS array to the cipher, as AAD (out NULL) or transformed in place;
 * false when one is not a Buffer or the cipher fails.
 */
static bool each_buffer(napi_env env, napi_value arr, EVP_CIPHER_CTX *ctx, bool encrypt, bool in_place) {
  uint32_t n = 0;
  bool is_arr = false;
  if (napi_is_array(env, arr, &is_arr) != napi_ok || !is_arr) return false;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    size_t len = 0;
    if (napi_get_element(env, arr, i, &el) != napi_ok) return false;
    uint8_t *p = bytes_of(env, el, &len);
    if (p == NULL && len != 0) return false;
    if (len == 0) continue;
    if (len > INT32_MAX) return false;
    int outl = 0;
    /* GCM is a stream mode: in place (out == in) is allowed and outl == len. */
    uint8_t *out = in_place ? p : NULL;
    int ok = encrypt ? EVP_EncryptUpdate(ctx, out, &outl, p, (int)len) : EVP_DecryptUpdate(ctx, out, &outl, p, (int)len);
    if (ok != 1) return false;
  }
  return true;
}

/*
 * The common start of seal and open: five arguments (key, iv, aad[], pieces or data, tag),
 * checked, and a context keyed for AES-256-GCM in the given direction with the AAD fed in.
 * NULL after throwing; the caller frees the context (which cleanses the key schedule).
 */
static EVP_CIPHER_CTX *start(napi_env env, napi_callback_info info, bool encrypt, napi_value argv[5], uint8_t **tag) {
  size_t argc = 5;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) {
    throw_seal(env, "seal/open(key, iv, aad[], pieces, tag) needs five arguments");
    return NULL;
  }
  size_t key_len = 0, iv_len = 0, tag_len = 0;
  uint8_t *key = bytes_of(env, argv[0], &key_len);
  uint8_t *iv = bytes_of(env, argv[1], &iv_len);
  *tag = bytes_of(env, argv[4], &tag_len);
  if (key == NULL || key_len != KEY_BYTES || iv == NULL || iv_len != IV_BYTES || *tag == NULL ||
      tag_len != TAG_BYTES) {
    throw_seal(env, "seal/open need a 32-byte key, a 12-byte iv and a 16-byte tag buffer");
    return NULL;
  }
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL) {
    throw_seal(env, "cannot allocate a cipher context");
    return NULL;
  }
  const EVP_CIPHER *gcm = EVP_aes_256_gcm();
  bool ok = (encrypt ? EVP_EncryptInit_ex(ctx, gcm, NULL, NULL, NULL) : EVP_DecryptInit_ex(ctx, gcm, NULL, NULL, NULL)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, IV_BYTES, NULL) == 1 &&
            (encrypt ? EVP_EncryptInit_ex(ctx, NULL, NULL, key, iv) : EVP_DecryptInit_ex(ctx, NULL, NULL, key, iv)) == 1;
  if (!ok) {
    EVP_CIPHER_CTX_free(ctx);
    throw_seal(env, "AES-256-GCM failed");
    return NULL;
  }
  if (!each_buffer(env, argv[2], ctx, encrypt, false)) {
    EVP_CIPHER_CTX_free(ctx);
    throw_seal(env, "aad must be an array of Buffers");
    return NULL;
  }
  return ctx;
}

static napi_value seal(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  uint8_t *tag = NULL;
  EVP_CIPHER_CTX *ctx = start(env, info, true, argv, &tag);
  if (ctx == NULL) return NULL;
  if (!each_buffer(env, argv[3], ctx, true, true)) {
    EVP_CIPHER_CTX_free(ctx);
    throw_seal(env, "pieces must be an array of Buffers");
    return NULL;
  }
  int outl = 0;
  uint8_t none[16];
  bool ok = EVP_EncryptFinal_ex(ctx, none, &outl) == 1 && outl == 0 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, tag) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) throw_seal(env, "AES-256-GCM failed");
  return NULL;
}

static napi_value open_in_place(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  uint8_t *tag = NULL;
  EVP_CIPHER_CTX *ctx = start(env, info, false, argv, &tag);
  if (ctx == NULL) return NULL;
  size_t len = 0;
  uint8_t *data = bytes_of(env, argv[3], &len);
  if ((data == NULL && len != 0) || len > INT32_MAX) {
    EVP_CIPHER_CTX_free(ctx);
    throw_seal(env, "open needs a Buffer to decrypt");
    return NULL;
  }
  int outl = 0;
  uint8_t none[16];
  bool ok = (len == 0 || EVP_DecryptUpdate(ctx, data, &outl, data, (int)len) == 1) &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag) == 1;
  /* Final checks the tag; a mismatch is an answer (false), not an error. */
  bool authentic = ok && EVP_DecryptFinal_ex(ctx, none, &outl) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) {
    throw_seal(env, "AES-256-GCM failed");
    return NULL;
  }
  napi_value result;
  napi_get_boolean(env, authentic, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "seal", NAPI_AUTO_LENGTH, seal, NULL, &fn);
  napi_set_named_property(env, exports, "seal", fn);
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, open_in_place, NULL, &fn);
  napi_set_named_property(env, exports, "open", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
