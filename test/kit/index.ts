/**
 * The test kit: one fake SBC (SIP wire, offers, client and calls, RTP sender, recording checks)
 * and the daemon under test, for integration tests, scenarios and benchmarks. Offers are built
 * by agent/src/sbc, the code `callvaultctl test-call` ships with.
 */
export * from './wire.js';
export * from './offer.js';
export * from './client.js';
export * from './call.js';
export * from './rtp.js';
export * from './recording.js';
export { sleep, until, untilAsync } from '../helpers/until.js';
export * from './setup.js';
