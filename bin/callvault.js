#!/usr/bin/env node
// The daemon. Built by `make` (npm run build) into dist/.
import { runDaemonCli } from '../dist/main.js';

// Exit explicitly: after a shutdown that hit its time bound, sockets may still be open and
// would keep the process alive (logs are written synchronously, so nothing is lost).
process.exit(await runDaemonCli(process.argv.slice(2)));
