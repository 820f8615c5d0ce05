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
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>
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
  close(r->fd);
  int err = status == napi_ok ? r->err : EIO;
  if (err == 0) {
    napi_value undef;
    napi_get_undefined(env, &undef);
    napi_resolve_deferred(env, r->deferred, undef);
  } else {
    napi_value code, msg, error;
    napi_create_string_utf8(env, err == EIO ? "EIO" : err == ENOSPC ? "ENOSPC" : "EIO", NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &error);
    napi_reject_deferred(env, r->deferred, error);
  }
  napi_delete_async_work(env, r->work);
  free(r);
}

static napi_value sync_fs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], promise, name;
  char path[4096];
  size_t len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) {
    napi_throw_type_error(env, "CV_ERR_VAULT_NATIVE", "syncfs(path) needs a path");
    return NULL;
  }
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    napi_throw_error(env, errno == ENOENT ? "ENOENT" : "EIO", strerror(errno));
    return NULL;
  }
  sync_req *r = calloc(1, sizeof *r);
  if (r == NULL) {
    close(fd);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  r->fd = fd;
  napi_create_promise(env, &r->deferred, &promise);
  napi_create_string_utf8(env, "callvault.syncfs", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, run, done, r, &r->work);
  napi_queue_async_work(env, r->work);
  return promise;
}

static const char *errno_name(int err) {
  switch (err) {
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTCONN: return "ENOTCONN";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EINVAL: return "EINVAL";
    default: return "EIO";
  }
}

static void set_int(napi_env env, napi_value obj, const char *key, int64_t v) {
  napi_value n;
  napi_create_int64(env, v, &n);
  napi_set_named_property(env, obj, key, n);
}

static napi_value peer_cred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, user;
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "CV_ERR_CONTROL_NATIVE", "peercred(fd) needs a file descriptor");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
    int err = errno;
    napi_throw_error(env, errno_name(err), strerror(err));
    return NULL;
  }
  /* getpwuid_r rather than getpwuid: the static buffer of the latter is shared with any other
   * thread of the process (libuv's pool runs native code too). */
  char buf[4096];
  struct passwd pw, *found = NULL;
  int rc = getpwuid_r(cred.uid, &pw, buf, sizeof buf, &found);
  napi_create_object(env, &out);
  set_int(env, out, "pid", cred.pid);
  set_int(env, out, "uid", cred.uid);
  set_int(env, out, "gid", cred.gid);
  if (rc == 0 && found != NULL && found->pw_name != NULL)
    napi_create_string_utf8(env, found->pw_name, NAPI_AUTO_LENGTH, &user);
  else
    napi_get_null(env, &user);
  napi_set_named_property(env, out, "user", user);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor p[] = {
      {"syncfs", NULL, sync_fs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"peercred", NULL, peer_cred, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, 2, p) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
