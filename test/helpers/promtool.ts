/**
 * promtool (from the prometheus Debian package, which `make test` installs) for the alert rules:
 * check, unit-test, and build a unit test whose input series are real scrapes of /metrics.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { readFileSync } from 'node:fs';
import { ROOT } from './daemon.js';

export const RULES_FILE = join(ROOT, 'firmware-config', 'alerts', 'callvault.rules.yml');

export function promtool(args: readonly string[], input?: string): { code: number; out: string } {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 60_000 });
  if (r.error !== undefined) throw r.error;
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

interface Rule {
  readonly alert?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** Every alerting rule of the shipped file, by name. */
export function alertRules(): Map<string, Rule> {
  const doc = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: Rule[] }[] };
  const out = new Map<string, Rule>();
  for (const g of doc.groups) for (const r of g.rules) if (r.alert !== undefined) out.set(r.alert, r);
  return out;
}

/** Samples of a text exposition: `name{labels}` → value (comments and histograms' buckets too). */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(line);
    if (m !== null) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/**
 * A `promtool test rules` file whose input series are the given scrapes, in order, each held
 * for `holdMinutes` at a 1-minute interval (the first scrape from t=0), restricted to the
 * series whose names start with one of `prefixes`. `alerts` lists the alerts expected at
 * `evalTime` (labels beyond severity as given; annotations from the rules file).
 */
export function testFromScrapes(opts: {
  dir: string;
  scrapes: readonly Map<string, number>[];
  holdMinutes: number;
  prefixes: readonly string[];
  evalTime: string;
  alerts: readonly { name: string; labels?: Record<string, string>; firing: boolean }[];
}): string {
  const rules = alertRules();
  const names = new Set<string>();
  for (const s of opts.scrapes)
    for (const k of s.keys()) if (opts.prefixes.some((p) => k.startsWith(p))) names.add(k);
  const inputSeries = [...names].sort().map((series) => ({
    series,
    // A series absent from an earlier scrape did not exist yet: `_` is promtool's "no sample".
    values: opts.scrapes
      .map((s) => {
        const v = s.get(series);
        return v === undefined ? `_x${opts.holdMinutes - 1}` : `${v}x${opts.holdMinutes - 1}`;
      })
      .join(' '),
  }));
  const alertRuleTest = opts.alerts.map((a) => {
    const rule = rules.get(a.name);
    if (rule === undefined) throw new Error(`no alert ${a.name} in ${RULES_FILE}`);
    return {
      eval_time: opts.evalTime,
      alertname: a.name,
      exp_alerts: a.firing
        ? [{ exp_labels: { ...rule.labels, ...a.labels }, exp_annotations: { ...rule.annotations } }]
        : [],
    };
  });
  const file = join(opts.dir, 'from-scrape.test.yml');
  writeFileSync(
    file,
    stringify({
      rule_files: [RULES_FILE],
      evaluation_interval: '1m',
      tests: [{ interval: '1m', input_series: inputSeries, alert_rule_test: alertRuleTest }],
    }),
  );
  return file;
}
