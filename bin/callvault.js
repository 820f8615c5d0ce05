#!/usr/bin/env node
// The daemon. Built by `make` (npm run build) into dist/.

// libuv's pool (4 threads by default) carries every file write, fsync and LevelDB operation;
// with a thousand calls writing and syncing, call set-ups queued behind them. Set before the
// pool starts (its first use), so before main is loaded. An explicit setting wins.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { runDaemonCli } = await import('../dist/main.js');

// Exit explicitly: after a shutdown that hit its time bound, sockets may still be open and
// would keep the process alive (logs are written synchronously, so nothing is lost).
process.exit(await runDaemonCli(process.argv.slice(2)));
