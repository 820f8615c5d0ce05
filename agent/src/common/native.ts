/**
 * Loads the project's Node-API addons (native/*.c, built by `make` into native/build/). Every
 * addon is optional: callers fall back to a pure-Node path and say why when one is missing.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** From dist/common or agent/src/common the project root is two or three levels up. */
const ROOTS = [join(HERE, '..', '..'), join(HERE, '..', '..', '..')];
const require = createRequire(import.meta.url);

export interface NativeAddon<T> {
  readonly addon: T | null;
  /** Why addon is null (not built, cannot load, not Linux); null when it loaded. */
  readonly unavailable: string | null;
}

const cache = new Map<string, NativeAddon<unknown>>();

export function loadNativeAddon<T>(name: string): NativeAddon<T> {
  const hit = cache.get(name);
  if (hit !== undefined) return hit as NativeAddon<T>;
  const paths = ROOTS.map((r) => join(r, 'native', 'build', `${name}.node`));
  const path = paths.find((p) => existsSync(p));
  let result: NativeAddon<T>;
  if (process.platform !== 'linux') result = { addon: null, unavailable: 'not Linux' };
  else if (path === undefined) result = { addon: null, unavailable: `not built (${paths[0]})` };
  else {
    try {
      result = { addon: require(path) as T, unavailable: null };
    } catch (err) {
      result = { addon: null, unavailable: `cannot load ${path}: ${(err as Error).message}` };
    }
  }
  cache.set(name, result);
  return result;
}
