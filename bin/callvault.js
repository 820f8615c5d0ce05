#!/usr/bin/env node
// The daemon. Built by `make` (npm run build) into dist/.
import { runDaemonCli } from '../dist/main.js';

process.exitCode = await runDaemonCli(process.argv.slice(2));
