import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type LoadResult, loadScenarioText } from '../../src/scenario/load.js';

const EXAMPLE_TEXT = readFileSync(
  fileURLToPath(new URL('../../examples/four-guests-echo.yaml', import.meta.url)),
  'utf8',
);
const EXAMPLE = parse(EXAMPLE_TEXT) as unknown;

const KEYS = [
  'name',
  'seed',
  'duration',
  'warmup',
  'board',
  'cores',
  'cost_model',
  'costs',
  'kernel',
  'smp',
  'nic',
  'rate',
  'rx_ring',
  'tx_ring',
  'driver',
  'kind',
  'core',
  'virt',
  'tx_policy',
  'quantum',
  'system',
  'clients',
  'app',
  'weight',
  'priority',
  'rate_limit',
  'burst',
  'source',
  'payload',
  'to',
  'guest',
  'ram',
  'queue_size',
  'load',
  'start',
  'stop',
  'streams',
  'faults',
  'at',
  'target',
  'capture',
  'pcap',
  'trace',
  'invariants',
  'check',
  '__proto__',
  'constructor',
  '',
];
const VALUES = [
  '1Gbps',
  '400Mbps',
  '-1Mbps',
  '0',
  '64KiB',
  '1.3KiB',
  '500ms',
  '99s',
  'guest0',
  'guest1',
  'wire',
  'driver',
  'vm',
  'native',
  'echo',
  'source',
  'drr',
  'guest-crash',
  'lost-notification',
  '',
  'NaN',
  '1e999',
];
const YAML_TOKENS = [
  'name: x\n',
  'clients:\n',
  '  - ',
  'kind: vm\n',
  '{',
  '}',
  '[',
  ']',
  ', ',
  ': ',
  '\n',
  '  ',
  '- ',
  '&a ',
  '*a',
  '*b',
  '<<: ',
  '? ',
  '!!str ',
  '!!binary ',
  '!foo ',
  '|\n',
  '>-\n',
  '"',
  "'",
  '#',
  '---\n',
  '...\n',
  '%YAML 1.2\n',
  '\t',
  '\r\n',
  '\u0000',
  '\uFEFF',
  'ü',
  '.inf',
  '.nan',
  '~',
  '0x1F',
  '1e3',
  'rate: 1Gbps',
  ...KEYS.slice(0, 12),
];

/** Checks the loader's contract on one result; `text` bounds the reported positions. */
function expectWellFormed(r: LoadResult, text: string): void {
  if (r.ok) {
    const names = r.scenario.clients.map((c) => c.name);
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names).size).toBe(names.length);
    for (const l of r.scenario.load) expect(names).toContain(l.to);
    expect(r.scenario.duration).toBeGreaterThan(0);
    return;
  }
  expect(r.problems.length).toBeGreaterThanOrEqual(1);
  const lines = text.split('\n').length;
  for (const p of r.problems) {
    expect(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines).toBe(true);
    expect(Number.isInteger(p.column) && p.column >= 1).toBe(true);
    expect(p.path !== '' || p.message !== '').toBe(true);
    expect(p.message).not.toBe('');
    expect(p.message).not.toMatch(/internal error/);
  }
}

function load(text: string, file: string): LoadResult {
  let r: LoadResult | undefined;
  expect(() => {
    r = loadScenarioText(text, file);
  }).not.toThrow();
  return r!;
}

// Every (container, key) slot of a JSON-like value, so a mutation can pick one by index.
type Slot = { container: Record<string, unknown> | unknown[]; key: string | number };
function slotsOf(value: unknown, out: Slot[] = []): Slot[] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push({ container: value, key: i });
      slotsOf(v, out);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push({ container: value as Record<string, unknown>, key: k });
      slotsOf(v, out);
    }
  }
  return out;
}

interface Mutation {
  op: 'delete' | 'replace' | 'insert';
  pick: number;
  key: string;
  value: unknown;
}

function applyMutation(root: unknown, m: Mutation): unknown {
  const slots = slotsOf(root);
  const slot = slots[m.pick % Math.max(1, slots.length)];
  if (slot === undefined) return m.value;
  const { container, key } = slot;
  if (Array.isArray(container)) {
    const i = key as number;
    if (m.op === 'delete') container.splice(i, 1);
    else if (m.op === 'replace') container[i] = m.value;
    else container.splice(i, 0, m.value);
  } else if (m.op === 'delete') {
    delete container[key as string];
  } else if (m.op === 'replace') {
    container[key as string] = m.value;
  } else {
    Object.defineProperty(container, m.key, {
      value: m.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return root;
}

const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...VALUES),
  fc.constantFrom(...KEYS),
  fc.integer({ min: -10, max: 5000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('delete', 'replace', 'insert'),
  pick: fc.nat(),
  key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })),
  value: valueArb,
});

describe('the scenario loader under random input', () => {
  it('never throws on random JSON values, as JSON or as YAML', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const json = JSON.stringify(v) ?? 'null';
        expectWellFormed(load(json, 'random.json'), json);
        const yaml = stringify(v);
        expectWellFormed(load(yaml, 'random.yaml'), yaml);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on random YAML-ish text', () => {
    const textArb = fc
      .array(fc.oneof(fc.constantFrom(...YAML_TOKENS), fc.string({ maxLength: 4 })), { maxLength: 40 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(textArb, fc.constantFrom('x.yaml', 'x.json'), (text, file) => {
        expectWellFormed(load(text, file), text);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on mutated versions of the valid example, and reports each break', () => {
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (mutations) => {
        let doc: unknown = structuredClone(EXAMPLE);
        for (const m of mutations) doc = applyMutation(doc, m);
        const yaml = stringify(doc);
        expectWellFormed(load(yaml, 'mutated.yaml'), yaml);
        const json = JSON.stringify(doc, null, 2) ?? 'null';
        expectWellFormed(load(json, 'mutated.json'), json);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws when the example text is cut and spliced', () => {
    const spliceArb = fc.record({
      at: fc.nat({ max: EXAMPLE_TEXT.length }),
      cut: fc.nat({ max: 40 }),
      insert: fc.oneof(fc.constantFrom(...YAML_TOKENS, ...VALUES), fc.string({ maxLength: 6 })),
    });
    fc.assert(
      fc.property(fc.array(spliceArb, { minLength: 1, maxLength: 3 }), (splices) => {
        let text = EXAMPLE_TEXT;
        for (const s of splices) text = text.slice(0, s.at) + s.insert + text.slice(s.at + s.cut);
        expectWellFormed(load(text, 'spliced.yaml'), text);
      }),
      { numRuns: 400 },
    );
  });

  it('still accepts the unmutated example, so the properties above are not vacuous', () => {
    const r = load(EXAMPLE_TEXT, 'four-guests-echo.yaml');
    expect(r.ok).toBe(true);
    const broken = EXAMPLE_TEXT.replace('rate: 1Gbps', 'rate: 1Gbpz');
    const problems = load(broken, 'four-guests-echo.yaml');
    expect(!problems.ok && problems.problems.map((p) => [p.line, p.column, p.path])).toEqual([
      [9, 9, 'nic.rate'],
    ]);
  });
});
