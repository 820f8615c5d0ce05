/*
 * napi-util.h: what every callvault addon does around Node-API, written once.
 *
 * Why: each addon had its own errno table (each a different subset, so one errno had different
 * names depending on the addon), its own argument checks, and its own idea of a failed Node-API
 * call (one threw, one returned NULL without an exception, one ignored the status). Here:
 *
 *   CV_CHECK(env, call)          a Node-API call; on failure, throw (unless an exception is
 *   CV_CHECK_AS(env, code, call) already pending) a coded Error naming the call, then
 *                                `goto fail` — the function's one cleanup label, which releases
 *                                what was acquired so far and returns. CV_CHECK uses the
 *                                addon's CV_NATIVE_CODE (defined before this header is included).
 *   cv_errno_name(err)           "EADDRINUSE", "ENOSPC"…: the code node:fs/node:dgram would give.
 *   cv_throw*, cv_errno_error    coded errors: code is a CV_ERR_<AREA>_<WHAT> or an errno name.
 *   cv_args, cv_buffer, cv_uint32, cv_int32, cv_string   argument unpacking with type and bounds.
 *   CV_METHOD, CV_DEFINE_METHODS, CV_METHODS_MODULE      the exports and the module's init.
 *
 * Fault injection (tests only): built with -DCV_FAULT_INJECTION, the addon counts its checked
 * calls and fails the one cv_fault_set() names, without making it, as if Node-API had refused it;
 * a test walks every failure point of a function and checks that each unwinds. The shipped
 * addons are built without it: CV_FAULT() is then the constant 0.
 *
 * Header-only (static inline): the addons are single shared objects built by plain cc.
 */
#ifndef CALLVAULT_NAPI_UTIL_H
#define CALLVAULT_NAPI_UTIL_H

#include <node_api.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef CV_FAULT_INJECTION
/* Checked calls left before the injected failure; −1: none armed. Weak: one per addon even when
   it is built from several units (each includes this header). */
__attribute__((weak)) int64_t cv_fault_countdown = -1;
static inline void cv_fault_set(int64_t after) { cv_fault_countdown = after; }
static inline bool cv_fault_due(void) {
  if (cv_fault_countdown < 0) return false;
  return cv_fault_countdown-- == 0;
}
#define CV_FAULT() cv_fault_due()
/* failAfter(n), exported by a fault-injection build (CV_FAULT_PROPERTY in its property list): the
   next n checked calls succeed, the one after fails; −1 disarms. Not through cv_args: that is a
   checked call itself, and this one must never fail by injection. */
static inline napi_value cv_fail_after(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  int32_t n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &n) != napi_ok) {
    napi_throw_type_error(env, "CV_ERR_NATIVE_FAULTS", "failAfter(n) needs an integer");
    return NULL;
  }
  cv_fault_set(n);
  return NULL;
}
#define CV_FAULT_PROPERTY {"failAfter", NULL, cv_fail_after, NULL, NULL, NULL, napi_enumerable, NULL},
#else
#define CV_FAULT() 0
#define CV_FAULT_PROPERTY
#endif

/* Every errno an addon may report by name; anything else is reported as EIO. */
#define CV_ERRNO_NAMES(X)                                                                          \
  X(EACCES) X(EADDRINUSE) X(EADDRNOTAVAIL) X(EAFNOSUPPORT) X(EAGAIN) X(EBADF) X(ECONNREFUSED)      \
  X(ECONNRESET) X(EDQUOT) X(EEXIST) X(EFAULT) X(EINTR) X(EINVAL) X(EIO) X(EISDIR) X(EMFILE)        \
  X(EMSGSIZE) X(ENAMETOOLONG) X(ENFILE) X(ENOBUFS) X(ENODEV) X(ENOENT) X(ENOMEM) X(ENOPROTOOPT)    \
  X(ENOSPC) X(ENOSYS) X(ENOTCONN) X(ENOTDIR) X(ENOTSOCK) X(EPERM) X(EPIPE) X(EROFS) X(ETIMEDOUT)

static inline const char *cv_errno_name(int err) {
  switch (err) {
#define CV_ERRNO_CASE(e) \
  case e:                \
    return #e;
    CV_ERRNO_NAMES(CV_ERRNO_CASE)
#undef CV_ERRNO_CASE
    default:
      return "EIO";
  }
}

static inline bool cv_pending(napi_env env) {
  bool pending = false;
  return napi_is_exception_pending(env, &pending) != napi_ok || pending;
}

/* Throw helpers return NULL so that `return cv_throw(...)` ends a callback. An exception that is
   already pending is the better report (it says what JS did wrong), so it is kept. */
static inline napi_value cv_throw(napi_env env, const char *code, const char *msg) {
  if (!cv_pending(env)) napi_throw_error(env, code, msg);
  return NULL;
}

static inline napi_value cv_throw_type(napi_env env, const char *code, const char *msg) {
  if (!cv_pending(env)) napi_throw_type_error(env, code, msg);
  return NULL;
}

/* "<what>: <strerror>" with the errno name as code (as node:dgram reports bind errors). */
static inline napi_value cv_throw_errno(napi_env env, int err, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  return cv_throw(env, cv_errno_name(err), msg);
}

/* The failure of a Node-API call as a coded Error (CV_CHECK). */
static inline void cv_throw_failed(napi_env env, const char *code, const char *call) {
  char msg[256];
  snprintf(msg, sizeof msg, "node-api call failed: %s", call);
  cv_throw(env, code, msg);
}

#define CV_CHECK_AS(env, code, call)            \
  do {                                          \
    if (CV_FAULT() || (call) != napi_ok) {      \
      cv_throw_failed((env), (code), #call);    \
      goto fail;                                \
    }                                           \
  } while (0)

#define CV_CHECK(env, call) CV_CHECK_AS(env, CV_NATIVE_CODE, call)

/* One method on an addon's exports; attrs napi_default or napi_enumerable, as the addon chose. */
#define CV_METHOD(name, fn, attrs) {(name), NULL, (fn), NULL, NULL, NULL, (attrs), NULL}

/* Defines an addon's methods (CV_METHOD…) on exports with the fault hook last (CV_FAULT_PROPERTY,
   nothing in a shipped build): the property list every init wrote. A failure goes to the
   caller's `fail:` like any CV_CHECK. */
#define CV_DEFINE_METHODS(env, exports, ...)                                                     \
  do {                                                                                           \
    napi_property_descriptor props[] = {__VA_ARGS__, CV_FAULT_PROPERTY};                         \
    CV_CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));   \
  } while (0)

/* The init of an addon that exports methods only, and its registration. */
#define CV_METHODS_MODULE(...)                                  \
  static napi_value cv_init(napi_env env, napi_value exports) { \
    CV_DEFINE_METHODS(env, exports, __VA_ARGS__);               \
    return exports;                                             \
  fail:                                                         \
    return NULL;                                                \
  }                                                             \
  NAPI_MODULE(NODE_GYP_MODULE_NAME, cv_init)

/* An Error value (not thrown) whose code is the errno name; message strerror, prefixed by
   "<what>: " when what is not NULL. For promise rejections. */
static inline napi_status cv_errno_error(napi_env env, int err, const char *what, napi_value *out) {
  char msg[256];
  napi_value code, text;
  if (what != NULL) snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  else snprintf(msg, sizeof msg, "%s", strerror(err));
  napi_status st = napi_create_string_utf8(env, cv_errno_name(err), NAPI_AUTO_LENGTH, &code);
  if (st == napi_ok) st = napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  if (st == napi_ok) st = napi_create_error(env, code, text, out);
  return st;
}

/* argv[0..want) of the call; false when fewer were passed (or the call failed). */
static inline bool cv_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (CV_FAULT()) return false;
  return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= want;
}

/* The bytes of a Buffer (or any Uint8Array: napi_is_buffer accepts views); false otherwise. */
static inline bool cv_buffer(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is = false;
  void *p = NULL;
  *data = NULL;
  *len = 0;
  if (napi_is_buffer(env, v, &is) != napi_ok || !is) return false;
  if (napi_get_buffer_info(env, v, &p, len) != napi_ok) return false;
  if (p == NULL && *len != 0) return false;
  *data = p;
  return true;
}

static inline bool cv_uint32(napi_env env, napi_value v, uint32_t *out) {
  return napi_get_value_uint32(env, v, out) == napi_ok;
}

static inline bool cv_int32(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

/*
 * A string argument into buf (NUL-terminated), refused rather than cut when it does not fit:
 * napi_ok; napi_string_expected (not a string); napi_invalid_arg (size − 2 bytes or more, since
 * a string that exactly fills the buffer cannot be told from a truncated one).
 */
static inline napi_status cv_string(napi_env env, napi_value v, char *buf, size_t size, size_t *len) {
  napi_status st = napi_get_value_string_utf8(env, v, buf, size, len);
  if (st != napi_ok) return st;
  return *len + 1 < size ? napi_ok : napi_invalid_arg;
}

#endif
