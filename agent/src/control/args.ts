/**
 * Readers of a control command's arguments. They arrive as JSON from another process, so every
 * value is checked here before a handler uses it; a bad one is refused with CV_ERR_CLI_BAD_ARG,
 * a missing or empty reason with ReasonRequiredError.
 */
import { UserError, visibleLength } from '../common/index.js';
import { ReasonRequiredError } from './errors.js';

type Args = Record<string, unknown>;

/** The reason rule of the API (MIN_REASON_LENGTH there): a ticket number will do, nothing will not. */
export const MIN_REASON_VISIBLE = 5;
export const MAX_REASON_LENGTH = 500;

/** Optional text: absent or null is none, anything but a string is refused. */
export function text(args: Args, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw new UserError('CV_ERR_CLI_BAD_ARG', `--${key} must be text`, { context: { key } });
  return v;
}

/** Text that must be given and not be empty; a value that is not text is refused as such. */
export function required(args: Args, key: string): string {
  const v = text(args, key);
  if (v === undefined || v.length === 0)
    throw new UserError('CV_ERR_CLI_BAD_ARG', `${key} is required`, { context: { key } });
  return v;
}

/** An id or name: a non-empty string, anything else is "required" (the DPO and grant commands). */
export function requiredText(args: Args, key: string): string {
  const v = args[key];
  if (typeof v !== 'string' || v.length === 0)
    throw new UserError('CV_ERR_CLI_BAD_ARG', `${key} is required`, { context: { key } });
  return v;
}

/** A reason given as something other than text counts as none. */
function givenReason(args: Args): string {
  return typeof args['reason'] === 'string' ? args['reason'].trim() : '';
}

function checkedReason(reason: string): string {
  if (visibleLength(reason) < MIN_REASON_VISIBLE) throw new ReasonRequiredError(MIN_REASON_VISIBLE);
  return reason.slice(0, MAX_REASON_LENGTH);
}

/** The reason, trimmed and cut to MAX_REASON_LENGTH: at least MIN_REASON_VISIBLE visible characters. */
export function reasonOf(args: Args): string {
  return checkedReason(givenReason(args));
}

/** A reason the contract makes optional: none given is null, one given must still say something. */
export function optionalReasonOf(args: Args): string | null {
  const reason = givenReason(args);
  return reason.length === 0 ? null : checkedReason(reason);
}

/** As reasonOf, but a reason that is not text is refused as a bad argument first. */
export function requiredReason(args: Args): string {
  text(args, 'reason');
  return reasonOf(args);
}
