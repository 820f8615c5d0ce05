/*
 * fs-sync: syncfs(2) for the vault's batch fsync, as a Node-API addon.
 *
 * Why: with fsync=batch the vault used to fdatasync every file written since the last tick —
 * one syscall, one journal commit and one libuv pool job per recording per segment (625/s at
 * 1 250 calls). syncfs flushes the whole filesystem of the storage directory in one call on a
 * pool thread: the same data reaches the disk, with one commit. Node has no binding for it.
 *
 * syncfs(path) → Promise<void>; rejects with an Error whose code is the errno name.
 *
 * peercred(fd) → {pid, uid, gid, user}: who is at the other end of a connected unix socket, as
 * the kernel recorded it at connect() (SO_PEERCRED), with the uid's name from the password
 * database (user is null when the uid has no entry). The control socket audits this identity,
 * never a name the client claims; Node has no binding for SO_PEERCRED. Throws an Error whose
 * code is the errno name (EBADF, ENOTSOCK, ...).
 *
 * Every Node-API status is checked (napi-util.h): a failure before the work is queued throws a
 * coded Error and releases the descriptor, the request and the promise; a failure while settling
 * the promise is thrown from the completion (an uncaught exception) rather than leaving the
 * batch sync waiting on a promise that never settles.
 */
#define _GNU_SOURCE
#define CV_NATIVE_CODE "CV_ERR_VAULT_NATIVE"
#define CONTROL_CODE "CV_ERR_CONTROL_NATIVE"
#include "napi-util.h"
#include <fcntl.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  int err;
} sync_req;

static void run(napi_env env, void *data) {
  (void)env;
  sync_req *r = data;
  r->err = syncfs(r->fd) == 0 ? 0 : errno;
}

static void done(napi_env env, napi_status status, void *data) {
  sync_req *r = data;
  napi_value value;
  close(r->fd);
  int err = status == napi_ok ? r->err : EIO;
  if (err == 0) {
    CV_CHECK(env, napi_get_undefined(env, &value));
    CV_CHECK(env, napi_resolve_deferred(env, r->deferred, value));
  } else {
    CV_CHECK(env, cv_errno_error(env, err, NULL, &value));
    CV_CHECK(env, napi_reject_deferred(env, r->deferred, value));
  }
fail:
  napi_delete_async_work(env, r->work);
  free(r);
}

/* syncfs(path) → Promise<void>. */
static napi_value sync_fs(napi_env env, napi_callback_info info) {
  napi_value argv[1], promise = NULL, name;
  char path[4096];
  size_t len;
  sync_req *r = NULL;
  if (!cv_args(env, info, 1, argv)) return cv_throw_type(env, CV_NATIVE_CODE, "syncfs(path) needs a path");
  napi_status st = cv_string(env, argv[0], path, sizeof path, &len);
  if (st == napi_invalid_arg) return cv_throw_errno(env, ENAMETOOLONG, "syncfs"); /* not cut short */
  if (st != napi_ok) return cv_throw_type(env, CV_NATIVE_CODE, "syncfs(path) needs a path");
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return cv_throw(env, cv_errno_name(err), strerror(err));
  }
  r = calloc(1, sizeof *r);
  if (r == NULL) {
    cv_throw(env, "ENOMEM", "out of memory");
    goto fail;
  }
  r->fd = fd;
  CV_CHECK(env, napi_create_promise(env, &r->deferred, &promise));
  CV_CHECK(env, napi_create_string_utf8(env, "callvault.syncfs", NAPI_AUTO_LENGTH, &name));
  CV_CHECK(env, napi_create_async_work(env, NULL, name, run, done, r, &r->work));
  CV_CHECK(env, napi_queue_async_work(env, r->work));
  return promise;
fail:
  if (r != NULL && r->work != NULL) napi_delete_async_work(env, r->work);
  if (r != NULL && r->deferred != NULL) {
    /* Nobody holds the promise (this call throws instead): resolving it frees the deferred;
       rejecting it would be an unhandled rejection. */
    napi_value undef;
    if (napi_get_undefined(env, &undef) == napi_ok) napi_resolve_deferred(env, r->deferred, undef);
  }
  free(r);
  close(fd);
  return NULL;
}

/* peercred(fd) → {pid, uid, gid, user}. */
static napi_value peer_cred(napi_env env, napi_callback_info info) {
  napi_value argv[1], out, v;
  int32_t fd;
  if (!cv_args(env, info, 1, argv) || !cv_int32(env, argv[0], &fd) || fd < 0)
    return cv_throw_type(env, CONTROL_CODE, "peercred(fd) needs a file descriptor");
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    int err = errno;
    return cv_throw(env, cv_errno_name(err), strerror(err));
  }
  if (len != sizeof cred) return cv_throw(env, "EIO", "SO_PEERCRED: short answer");
  /* getpwuid_r rather than getpwuid: the static buffer of the latter is shared with any other
   * thread of the process (libuv's pool runs native code too). */
  char buf[4096];
  struct passwd pw, *found = NULL;
  int rc = getpwuid_r(cred.uid, &pw, buf, sizeof buf, &found);
  CV_CHECK_AS(env, CONTROL_CODE, napi_create_object(env, &out));
  CV_CHECK_AS(env, CONTROL_CODE, napi_create_int64(env, cred.pid, &v));
  CV_CHECK_AS(env, CONTROL_CODE, napi_set_named_property(env, out, "pid", v));
  CV_CHECK_AS(env, CONTROL_CODE, napi_create_int64(env, cred.uid, &v));
  CV_CHECK_AS(env, CONTROL_CODE, napi_set_named_property(env, out, "uid", v));
  CV_CHECK_AS(env, CONTROL_CODE, napi_create_int64(env, cred.gid, &v));
  CV_CHECK_AS(env, CONTROL_CODE, napi_set_named_property(env, out, "gid", v));
  if (rc == 0 && found != NULL && found->pw_name != NULL)
    CV_CHECK_AS(env, CONTROL_CODE, napi_create_string_utf8(env, found->pw_name, NAPI_AUTO_LENGTH, &v));
  else
    CV_CHECK_AS(env, CONTROL_CODE, napi_get_null(env, &v));
  CV_CHECK_AS(env, CONTROL_CODE, napi_set_named_property(env, out, "user", v));
  return out;
fail:
  return NULL;
}

CV_METHODS_MODULE(CV_METHOD("syncfs", sync_fs, napi_enumerable),
                  CV_METHOD("peercred", peer_cred, napi_enumerable))
