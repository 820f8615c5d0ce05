// The SBC side of SIPREC (what sends calls to this appliance): offers and answers as text.
export * from './offer.js';
export * from './answer.js';
