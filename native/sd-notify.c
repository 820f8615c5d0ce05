/*
 * sd-notify: the systemd notification protocol (sd_notify(3)) as a Node-API addon.
 *
 * Why: `Type=notify` and `WatchdogSec=` need datagrams on the AF_UNIX socket named by
 * $NOTIFY_SOCKET, and node:dgram has no unix datagram sockets. libsystemd would do it, but it is
 * a -dev package more for three system calls; the protocol is one sendto(2) of "KEY=VALUE\n"
 * lines to a path ('@' first = abstract namespace).
 *
 * notify(socketPath, state) → undefined; throws an Error whose code is the errno name.
 * The receiving end (bind/receive/close) exists so that tests can act as the service manager on
 * a real socket: receive(fd) is non-blocking and returns null when nothing is queued. *
 * Errors: bad arguments are TypeErrors coded CV_ERR_NOTIFY_ARGS, a failed Node-API call is coded
 * CV_ERR_NOTIFY_NATIVE, a failed system call carries its errno name (napi-util.h's table).
 */
#define _GNU_SOURCE
#define CV_NATIVE_CODE "CV_ERR_NOTIFY_NATIVE"
#include "napi-util.h"
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_STATE_BYTES 4096
#define ARGS_CODE "CV_ERR_NOTIFY_ARGS"

/* Fills addr from a $NOTIFY_SOCKET value; returns the address length or -1 (too long/empty). */
static socklen_t to_addr(const char *path, size_t len, struct sockaddr_un *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (len == 0 || len >= sizeof addr->sun_path) return (socklen_t)-1;
  memcpy(addr->sun_path, path, len);
  if (path[0] == '@') addr->sun_path[0] = '\0';
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '@' ? 0 : 1));
}

static bool get_string(napi_env env, napi_value v, char *buf, size_t size, size_t *len) {
  return cv_string(env, v, buf, size, len) == napi_ok;
}

static napi_value notify(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  char state[MAX_STATE_BYTES];
  size_t path_len, state_len;
  if (!cv_args(env, info, 2, argv) || !get_string(env, argv[0], path, sizeof path, &path_len) ||
      !get_string(env, argv[1], state, sizeof state, &state_len))
    return cv_throw_type(env, ARGS_CODE, "notify(socketPath, state): two strings, state under 4 KiB");
  struct sockaddr_un addr;
  socklen_t addr_len = to_addr(path, path_len, &addr);
  if (addr_len == (socklen_t)-1) return cv_throw_errno(env, ENAMETOOLONG, "NOTIFY_SOCKET");
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return cv_throw_errno(env, errno, "socket");
  ssize_t n = sendto(fd, state, state_len, MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
  int err = errno;
  close(fd);
  if (n < 0) return cv_throw_errno(env, err, "sendto NOTIFY_SOCKET");
  return NULL;
}

static napi_value bind_receiver(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  size_t path_len;
  if (!cv_args(env, info, 1, argv) || !get_string(env, argv[0], path, sizeof path, &path_len))
    return cv_throw_type(env, ARGS_CODE, "bind(socketPath): a string");
  struct sockaddr_un addr;
  socklen_t addr_len = to_addr(path, path_len, &addr);
  if (addr_len == (socklen_t)-1) return cv_throw_errno(env, ENAMETOOLONG, "bind");
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return cv_throw_errno(env, errno, "socket");
  int bound = 0;
  if (bind(fd, (struct sockaddr *)&addr, addr_len) != 0) {
    cv_throw_errno(env, errno, "bind");
    goto fail;
  }
  bound = 1;
  CV_CHECK(env, napi_create_int32(env, fd, &result));
  return result;
fail:
  close(fd);
  /* A path socket outlives its fd: the caller got no fd, so the file is ours to remove (else the
     next bind to the same path fails with EADDRINUSE). */
  if (bound && path[0] != '@') unlink(path);
  return NULL;
}

static bool get_fd(napi_env env, napi_callback_info info, int *fd) {
  napi_value argv[1];
  if (!cv_args(env, info, 1, argv) || !cv_int32(env, argv[0], fd) || *fd < 0) {
    cv_throw_type(env, ARGS_CODE, "expected a file descriptor");
    return false;
  }
  return true;
}

static napi_value receive(napi_env env, napi_callback_info info) {
  int fd;
  napi_value result;
  char buf[MAX_STATE_BYTES];
  if (!get_fd(env, info, &fd)) return NULL;
  ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) return cv_throw_errno(env, errno, "recv");
    CV_CHECK(env, napi_get_null(env, &result));
    return result;
  }
  CV_CHECK(env, napi_create_string_utf8(env, buf, (size_t)n, &result));
  return result;
fail:
  return NULL;
}

static napi_value close_fd(napi_env env, napi_callback_info info) {
  int fd;
  if (!get_fd(env, info, &fd)) return NULL;
  close(fd);
  return NULL;
}

CV_METHODS_MODULE(CV_METHOD("notify", notify, napi_default),
                  CV_METHOD("bind", bind_receiver, napi_default),
                  CV_METHOD("receive", receive, napi_default),
                  CV_METHOD("close", close_fd, napi_default))
