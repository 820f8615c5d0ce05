/** Who asked: written into every audit entry. */
import type { Role } from '../index/index.js';

export interface Actor {
  readonly name: string;
  readonly role: Role | 'system';
  readonly from: string;
}
