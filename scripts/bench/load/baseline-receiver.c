/*
 * The yardstick for the load benchmark: the least a receiver can do with the same traffic.
 * Binds one UDP socket per stream on 127.0.0.1 (the ports of the same plan the sender uses),
 * waits with epoll and drains each ready socket with recvmmsg, counting packets and bytes per
 * port and touching every byte once (a checksum), so the data is really pulled into this
 * process as ours is. No parsing, no decoding, no storage.
 *
 * Usage: baseline-receiver -p PLAN [-t MAX_SECONDS] [-r REPORT.json]
 *   PLAN: the sender's plan ("PORT FREQ_HZ [SSRC]" per line); only the ports are used.
 * Prints "ready <n>" on stdout once every socket is bound, then runs until SIGTERM/SIGINT (or
 * MAX_SECONDS, default 600) and writes a JSON report: packets, bytes, per-port counts and its
 * own CPU time (getrusage).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 100000
#define VLEN 64
#define BUF 2048
#define EVENTS 256

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static double tv_s(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }

int main(int argc, char **argv) {
  const char *plan = NULL, *report = NULL;
  double max_seconds = 600;
  int opt;
  while ((opt = getopt(argc, argv, "p:t:r:")) != -1) {
    switch (opt) {
      case 'p': plan = optarg; break;
      case 't': max_seconds = atof(optarg); break;
      case 'r': report = optarg; break;
      default: fprintf(stderr, "usage: %s -p PLAN [-t MAX_SECONDS] [-r REPORT]\n", argv[0]); return 1;
    }
  }
  if (plan == NULL || !(max_seconds > 0 && max_seconds <= 3600)) {
    fprintf(stderr, "usage: %s -p PLAN [-t MAX_SECONDS (0-3600]] [-r REPORT]\n", argv[0]);
    return 1;
  }
  FILE *f = fopen(plan, "r");
  if (f == NULL) { perror(plan); return 1; }
  unsigned *ports = calloc(MAX_PORTS, sizeof *ports);
  int *fds = calloc(MAX_PORTS, sizeof *fds);
  uint64_t *pk = calloc(MAX_PORTS, sizeof *pk);
  uint64_t *by = calloc(MAX_PORTS, sizeof *by);
  if (!ports || !fds || !pk || !by) { perror("calloc"); return 3; }
  char line[256];
  int n = 0;
  while (fgets(line, sizeof line, f) != NULL && n < MAX_PORTS) {
    if (line[0] == '#' || line[0] == '\n') continue;
    unsigned port = 0;
    if (sscanf(line, "%u", &port) != 1 || port == 0 || port > 65535) {
      fprintf(stderr, "bad plan line: %s", line);
      return 1;
    }
    ports[n++] = port;
  }
  fclose(f);

  struct sigaction sa = { .sa_handler = on_signal };
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  int ep = epoll_create1(0);
  if (ep < 0) { perror("epoll_create1"); return 3; }
  for (int i = 0; i < n; i++) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) { perror("socket"); return 3; }
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)ports[i]),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
      fprintf(stderr, "bind 127.0.0.1:%u: %s\n", ports[i], strerror(errno));
      return 3;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) { perror("epoll_ctl"); return 3; }
    fds[i] = fd;
  }
  printf("ready %d\n", n);
  fflush(stdout);

  static uint8_t bufs[VLEN][BUF];
  static struct iovec iov[VLEN];
  static struct mmsghdr msgs[VLEN];
  for (int k = 0; k < VLEN; k++) {
    iov[k].iov_base = bufs[k];
    iov[k].iov_len = BUF;
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
  }
  struct epoll_event events[EVENTS];
  uint64_t total = 0, bytes = 0, wakeups = 0, calls = 0;
  uint32_t sum = 0;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (!stop_flag) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 > max_seconds) break;
    int ne = epoll_wait(ep, events, EVENTS, 200);
    if (ne < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      break;
    }
    wakeups++;
    for (int e = 0; e < ne; e++) {
      const uint32_t i = events[e].data.u32;
      for (;;) {
        int r = recvmmsg(fds[i], msgs, VLEN, MSG_DONTWAIT, NULL);
        calls++;
        if (r <= 0) break;
        for (int k = 0; k < r; k++) {
          const unsigned len = msgs[k].msg_len;
          for (unsigned b = 0; b < len; b++) sum += bufs[k][b];
          by[i] += len;
          bytes += len;
        }
        pk[i] += (uint64_t)r;
        total += (uint64_t)r;
        if (r < VLEN) break;
      }
    }
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  FILE *out = report != NULL ? fopen(report, "w") : stdout;
  if (out == NULL) { perror(report); return 3; }
  fprintf(out,
          "{\"ports\":%d,\"packets\":%llu,\"bytes\":%llu,\"wakeups\":%llu,\"recvmmsgCalls\":%llu,"
          "\"checksum\":%u,\"cpuUserSeconds\":%.3f,\"cpuSystemSeconds\":%.3f,\"perPort\":[",
          n, (unsigned long long)total, (unsigned long long)bytes, (unsigned long long)wakeups,
          (unsigned long long)calls, sum, tv_s(ru.ru_utime), tv_s(ru.ru_stime));
  for (int i = 0; i < n; i++) fprintf(out, "%s[%u,%llu]", i ? "," : "", ports[i], (unsigned long long)pk[i]);
  fprintf(out, "]}\n");
  if (out != stdout) fclose(out);
  for (int i = 0; i < n; i++) close(fds[i]);
  return 0;
}
