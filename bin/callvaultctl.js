#!/usr/bin/env node
// The technician's CLI. Built by `make` (npm run build) into dist/.
import { runCtl } from '../dist/cli/index.js';

process.exitCode = await runCtl(process.argv.slice(2));
