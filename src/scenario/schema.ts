// The scenario file format. Objects are strict (an unknown key is a problem, usually a typo),
// quantities accept units and come out in base units: time in ns, rates in bit/s, sizes in bytes.
// Field names are a contract shared with the CLI, the docs and the tests (see DESIGN.md).

import { z } from 'zod';
import { MAX_CHANNELS } from '../board/pd.js';
import { NET_QUEUE_MAX_CAPACITY } from '../sddf/net_queue.js';
import { DEFAULT_CLIENT_TX_BUFFERS } from '../sddf/sizes.js';
import { didYouMean } from './problems.js';
import { parseBitrate, parseSize, parseTime, type UnitResult } from './units.js';

export const COST_MODELS = ['imx8mm'] as const;
export const DRIVER_KINDS = ['native', 'vm'] as const;
export const CLIENT_KINDS = ['native', 'vm'] as const;
export const CLIENT_APPS = ['echo', 'sink', 'source', 'ping'] as const;
export const TX_POLICIES = ['fixed-order', 'round-robin', 'drr', 'priority'] as const;
export const SYSTEMS = ['echo-server', 'sddf-2pd', 'sddf-4pd', 'sddf-d5pd', 'sddf-5pd', 'linux'] as const;
export const FAULT_KINDS = [
  'guest-crash',
  'guest-hang',
  'guest-restart',
  'driver-crash',
  'driver-restart',
  'corrupt-queue',
  'double-enqueue',
  'write-after-handover',
  'bad-offset',
  'notification-storm',
  'malformed-chain',
  'lost-notification',
  'dma-escape',
  'snoop-rx-pool',
] as const;

/** The external host on the wire: a valid `source.to` and capture point, so no client may be named so. */
export const WIRE = 'wire';
/** The network driver: a valid fault target, so no client may be named so. */
export const DRIVER = 'driver';

/** Largest UDP payload that fits a 1500-byte MTU (1500 - 20 IPv4 - 8 UDP). */
export const MAX_UDP_PAYLOAD = 1472;
/**
 * virt_tx has a channel to the driver, one to each client and one for its timer, and a PD has
 * MAX_CHANNELS channel ids.
 */
export const MAX_CLIENTS = MAX_CHANNELS - 2;
export const MAX_CORES = 64;

const CLIENT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const MAC_ADDRESS = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/;
const IPV4_ADDRESS =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

interface _UnitKind {
  parse: (input: unknown) => UnitResult;
  expected: string;
  description: string;
}

const BITRATE: _UnitKind = {
  parse: parseBitrate,
  expected: "expected a bit rate like '400Mbps' or a number of bit/s",
  description: "bit rate: '1Gbps', '400Mbps', '400 Mb/s', '100kbps', or a number of bit/s",
};
const TIME: _UnitKind = {
  parse: parseTime,
  expected: "expected a time like '500ms' or a number of seconds",
  description: "time: '1s', '500ms', '200us', '10ns', or a number of seconds",
};
const SIZE: _UnitKind = {
  parse: parseSize,
  expected: "expected a size like '64KiB' or a number of bytes",
  description: "size: '64KiB', '1MiB', '1.5KB' (KB = 1000, KiB = 1024), or a number of bytes",
};

// A quantity written as a string with a unit or as a plain number, output as a number in base units.
function _quantity(kind: _UnitKind, positive: boolean) {
  return z
    .union([z.string(), z.number()], { error: kind.expected })
    .transform((input, ctx) => {
      const r = kind.parse(input);
      if (!r.ok) {
        ctx.addIssue({ code: 'custom', message: r.message });
        return z.NEVER;
      }
      if (positive && r.value <= 0) {
        ctx.addIssue({ code: 'custom', message: 'must be greater than zero' });
        return z.NEVER;
      }
      return r.value;
    })
    .meta({ description: kind.description });
}

const bitrate = () => _quantity(BITRATE, true);
const time = () => _quantity(TIME, false);
const size = () => _quantity(SIZE, false);

const _isPowerOfTwo = (n: number) => n > 0 && Number.isInteger(Math.log2(n));

function _powerOfTwo(min: number, max: number) {
  return z
    .int()
    .min(min)
    .max(max)
    .refine(_isPowerOfTwo, { message: `must be a power of two between ${min} and ${max}` });
}

const coreIndex = () =>
  z
    .int()
    .min(0)
    .max(MAX_CORES - 1);

const kernelSchema = z.strictObject({
  /** An SMP kernel takes a big lock, which makes every syscall dearer. */
  smp: z.boolean().default(false),
  smp_barriers: z.boolean().default(false),
});

const boardSchema = z.strictObject({
  cores: z.int().min(1).max(MAX_CORES).default(1),
  cost_model: z.enum(COST_MODELS).default('imx8mm'),
  /** Overrides of single cost-model entries, in cycles; names are checked against the cost model. */
  costs: z.record(z.string(), z.number().nonnegative()).default({}),
  kernel: kernelSchema.prefault({}),
});

const nicSchema = z.strictObject({
  rate: bitrate().prefault('1Gbps'),
  rx_ring: _powerOfTwo(2, 4096).default(256),
  tx_ring: _powerOfTwo(2, 4096).default(256),
  tx_coalesce_frames: z.int().min(1).max(255).default(128),
  /** Left unset so the NIC model can derive it from the line rate and frame count. */
  tx_coalesce_time: time().optional(),
});

const driverSchema = z.strictObject({
  kind: z.enum(DRIVER_KINDS).default('native'),
  core: coreIndex().optional(),
  /**
   * At most `restarts` restarts after crashes within any `window` (default: the whole run); a
   * crash beyond that leaves the driver down. Unset: every crash is restarted.
   */
  restart_budget: z
    .strictObject({
      restarts: z.int().min(0),
      window: time().optional(),
    })
    .optional(),
});

const virtSchema = z.strictObject({
  tx_policy: z.enum(TX_POLICIES).default('fixed-order'),
  /** Bound on buffers outstanding at the driver, so one client cannot fill the hardware ring. */
  tx_outstanding: z.int().min(1).optional(),
  /** Deficit round robin quantum (bytes, at least one frame's worth makes sense; must be positive). */
  quantum: _quantity(SIZE, true).optional(),
  core: coreIndex().optional(),
});

const rateLimitSchema = z.strictObject({
  rate: bitrate(),
  burst: size(),
  pps: z.number().positive().optional(),
  pps_burst: z.int().min(1).optional(),
});

const sourceSchema = z.strictObject({
  rate: bitrate(),
  payload: z.int().min(0).max(MAX_UDP_PAYLOAD).default(MAX_UDP_PAYLOAD),
  /** A client name, or 'wire' for the external host. */
  to: z.string().default(WIRE),
});

/** A guest's ping of the host on the wire (its ICMP echo requests; the host answers at once). */
const pingSchema = z.strictObject({
  /** Time between requests (ping -i); simulated runs are short, so 1 ms rather than ping's 1 s. */
  interval: _quantity(TIME, true).prefault('1ms'),
  /** ICMP data bytes (ping -s): at least the 16-byte probe (sequence and send time). */
  payload: z.int().min(16).max(MAX_UDP_PAYLOAD).default(56),
  /** Requests to send (ping -c); 0 for no limit. */
  count: z.int().min(0).default(0),
});

const guestSchema = z.strictObject({
  ram: size().prefault('16MiB'),
  queue_size: _powerOfTwo(2, 32768).default(256),
  event_idx: z.boolean().default(true),
  /**
   * Time from the vCPU's start, and from every guest-restart, to the guest's device probe (the
   * kernel's boot). Unset: 0, the device is probed at once.
   */
  boot_time: time().optional(),
});

const GUEST_DEFAULTS: z.output<typeof guestSchema> = guestSchema.parse({});

const clientSchema = z
  .strictObject({
    name: z.string().regex(CLIENT_NAME, {
      message: 'a client name starts with a letter or _ and has only letters, digits, _ and -',
    }),
    kind: z.enum(CLIENT_KINDS),
    app: z.enum(CLIENT_APPS).default('echo'),
    weight: z.number().positive().default(1),
    priority: z.int().min(0).max(254).optional(),
    rate_limit: rateLimitSchema.optional(),
    rx_rate_limit: rateLimitSchema.optional(),
    /** Required when app is 'source', rejected otherwise (checked across fields). */
    source: sourceSchema.optional(),
    /** Only when app is 'ping' (defaults apply when it is left out). */
    ping: pingSchema.optional(),
    mac: z
      .string()
      .regex(MAC_ADDRESS, { message: "expected a MAC address like '52:54:00:12:34:56'" })
      .optional(),
    ip: z.string().regex(IPV4_ADDRESS, { message: "expected an IPv4 address like '10.0.0.2'" }).optional(),
    rx_buffers: _powerOfTwo(2, 32768).optional(),
    tx_buffers: _powerOfTwo(2, 32768).optional(),
    core: coreIndex().optional(),
    /** Only for kind 'vm'; a vm client without it gets the defaults. */
    guest: guestSchema.optional(),
  })
  .transform((client) =>
    client.kind === 'vm' && client.guest === undefined ? { ...client, guest: { ...GUEST_DEFAULTS } } : client,
  );

const loadSchema = z.strictObject({
  to: z.string(),
  rate: bitrate(),
  // The generator's payload carries a 16-byte probe (sequence and send time).
  payload: z.int().min(16).max(MAX_UDP_PAYLOAD).default(MAX_UDP_PAYLOAD),
  start: time().optional(),
  stop: time().optional(),
  streams: z.int().min(1).default(1),
  /** Send times: evenly spaced with a small jitter (cbr, like an ipbench client), or Poisson. */
  pattern: z.enum(['cbr', 'poisson']).default('cbr'),
});

/** The faults whose `count` and `duration` mean something (see faults.ts). */
const COUNTED_FAULTS: readonly string[] = ['lost-notification', 'double-enqueue'];
const TIMED_FAULTS: readonly string[] = ['driver-crash', 'driver-restart'];

const faultSchema = z.strictObject({
  at: time(),
  kind: z.enum(FAULT_KINDS),
  /** A client name, 'driver', or for lost-notification a description of the channel. */
  target: z.string(),
  /** driver-crash and driver-restart only: how long the driver stays down. */
  duration: time().optional(),
  /** lost-notification: notifications lost (default 1); double-enqueue: extra copies (default 1). */
  count: z.int().min(1).optional(),
});

const captureSchema = z.strictObject({
  pcap: z.array(z.string()).default([]),
  trace: z.boolean().default(false),
});

const invariantsSchema = z.strictObject({
  check: z.boolean().default(false),
});

/**
 * The isolation protections the trusted components apply to untrusted input, each on unless set
 * to false: for studying what each one prevents (docs/isolation.md). Unknown names are rejected.
 */
export const PROTECTIONS = [
  'virt_tx_queue_guard',
  'virt_tx_validation',
  'copier_validation',
  'vmm_chain_validation',
  // The copiers themselves: off, the system is composed without them, clients mapping the RX DMA
  // pool read-only and taking its buffers straight from virt_rx (sdfgen's copier-less layout).
  'rx_copier',
] as const;
/** Systems whose copiers copy each frame into the client's own region (rx_copier applies). */
const COPYING_SYSTEMS: readonly (string | undefined)[] = [undefined, 'echo-server', 'sddf-5pd'];
export type ProtectionName = (typeof PROTECTIONS)[number];

const protectionsSchema = z.strictObject(
  Object.fromEntries(PROTECTIONS.map((p) => [p, z.boolean().default(true)])) as Record<
    ProtectionName,
    z.ZodDefault<z.ZodBoolean>
  >,
);

const _rootShape = {
  name: z.string().min(1),
  seed: z.int().min(0).default(1),
  duration: time().prefault('1s'),
  warmup: time().prefault('200ms'),
  board: boardSchema.prefault({}),
  nic: nicSchema.prefault({}),
  driver: driverSchema.prefault({}),
  virt: virtSchema.prefault({}),
  system: z.enum(SYSTEMS).optional(),
  clients: z
    .array(clientSchema)
    .min(1)
    .max(MAX_CLIENTS, {
      message: `virt_tx has a channel for each client, besides the driver's and its timer's, and a PD has ${MAX_CHANNELS} channel ids`,
    }),
  load: z.array(loadSchema).default([]),
  faults: z.array(faultSchema).default([]),
  capture: captureSchema.prefault({}),
  invariants: invariantsSchema.prefault({}),
  protections: protectionsSchema.prefault({}),
};

export interface ScenarioSchemaOptions {
  /** Names the cost model knows; when given, an override of any other name is a problem. */
  knownCosts?: readonly string[] | undefined;
}

/** Builds the scenario schema; cross-field rules run even when single fields failed, so all are reported. */
export function createScenarioSchema(options: ScenarioSchemaOptions = {}) {
  const knownCosts = options.knownCosts;
  return z
    .strictObject(_rootShape)
    .superRefine((value, ctx) => _checkAcrossFields(value, ctx, knownCosts), { when: () => true });
}

/** The schema without a cost-name list: cost overrides are checked only for their values. */
export const scenarioSchema = createScenarioSchema();

/** A scenario as written in a file (units as strings, defaults omitted). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A validated scenario: every default filled in, times in ns, rates in bit/s, sizes in bytes. */
export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioClient = Scenario['clients'][number];
export type ScenarioLoad = Scenario['load'][number];
export type ScenarioFault = Scenario['faults'][number];
export type RateLimit = NonNullable<ScenarioClient['rate_limit']>;
export type GuestConfig = NonNullable<ScenarioClient['guest']>;
export type ClientKind = (typeof CLIENT_KINDS)[number];
export type ClientApp = (typeof CLIENT_APPS)[number];
export type TxPolicy = (typeof TX_POLICIES)[number];
export type FaultKind = (typeof FAULT_KINDS)[number];
export type SystemName = (typeof SYSTEMS)[number];

/** JSON Schema (draft 2020-12) of the input format, for editors and docs. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });
  return { title: 'sddfsim scenario', ...schema };
}

// ---------------------------------------------------------------------------------------------
// Cross-field rules. They see the value as parsed so far, which may be partly invalid (a field
// that failed holds whatever zod left there), so they read it defensively and skip what is not
// the expected type: that field has its own problem already.

type _Ctx = z.core.$RefinementCtx<unknown>;
type _Path = (string | number)[];

function _record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function _list(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

function _num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function _str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function _issue(ctx: _Ctx, path: _Path, message: string, atKey = false): void {
  ctx.addIssue(
    atKey ? { code: 'custom', path, message, params: { atKey } } : { code: 'custom', path, message },
  );
}

// Largest unit that shows the time with at most three decimals: 1200000000 -> '1.2s'.
function _formatNs(ns: number): string {
  if (ns >= 1e9 && ns % 1e6 === 0) return `${ns / 1e9}s`;
  if (ns >= 1e6 && ns % 1e3 === 0) return `${ns / 1e6}ms`;
  if (ns >= 1e3) return `${ns / 1e3}us`;
  return `${ns}ns`;
}

function _checkAcrossFields(value: unknown, ctx: _Ctx, knownCosts: readonly string[] | undefined): void {
  const root = _record(value);
  if (root === undefined) return;

  const board = _record(root['board']);
  const cores = _num(board?.['cores']) ?? 1;
  const checkCore = (path: _Path, core: unknown) => {
    const c = _num(core);
    if (c !== undefined && c >= cores) {
      _issue(ctx, path, `core ${c} does not exist: the board has ${cores} core${cores === 1 ? '' : 's'}`);
    }
  };

  if (knownCosts !== undefined) {
    const costs = _record(board?.['costs']);
    for (const name of Object.keys(costs ?? {})) {
      if (!knownCosts.includes(name)) {
        _issue(
          ctx,
          ['board', 'costs', name],
          `unknown cost entry '${name}'${didYouMean(name, knownCosts)}`,
          true,
        );
      }
    }
  }
  checkCore(['driver', 'core'], _record(root['driver'])?.['core']);
  checkCore(['virt', 'core'], _record(root['virt'])?.['core']);

  const duration = _num(root['duration']);
  const warmup = _num(root['warmup']);
  if (duration !== undefined && duration <= 0) _issue(ctx, ['duration'], 'must be greater than zero');
  const end = duration !== undefined && warmup !== undefined ? warmup + duration : undefined;

  _checkProtections(root, ctx);
  const names = _checkClients(root, ctx, checkCore);
  const isClient = (name: string) => names.has(name);
  // "no client named 'gest0' (did you mean 'guest0'?); expected one of guest0, guest1, or 'wire'"
  const unknownName = (name: string, extra: readonly string[]) => {
    const valid = [...names.keys(), ...extra].map((n) => `'${n}'`);
    const hint = didYouMean(name, [...names.keys(), ...extra]);
    return `no client named '${name}'${hint}; expected ${valid.length === 1 ? '' : 'one of '}${valid.join(', ')}`;
  };

  _list(root['clients']).forEach((c, i) => {
    const to = _str(_record(_record(c)?.['source'])?.['to']);
    if (to !== undefined && to !== WIRE && !isClient(to)) {
      _issue(ctx, ['clients', i, 'source', 'to'], unknownName(to, [WIRE]));
    }
  });

  _list(root['load']).forEach((l, i) => {
    const load = _record(l);
    const to = _str(load?.['to']);
    if (to !== undefined && !isClient(to)) _issue(ctx, ['load', i, 'to'], unknownName(to, []));
    const start = _num(load?.['start']);
    const stop = _num(load?.['stop']);
    if (start !== undefined && stop !== undefined && stop <= start) {
      _issue(ctx, ['load', i, 'stop'], `stop (${_formatNs(stop)}) must be after start (${_formatNs(start)})`);
    }
  });

  _list(root['faults']).forEach((f, i) => {
    const fault = _record(f);
    const kind = _str(fault?.['kind']);
    const target = _str(fault?.['target']);
    if (target !== undefined && kind !== 'lost-notification') {
      if ((kind === 'driver-crash' || kind === 'driver-restart') && target !== DRIVER) {
        _issue(ctx, ['faults', i, 'target'], `a ${kind} fault targets the driver: write target: ${DRIVER}`);
      } else if (target !== DRIVER && !isClient(target)) {
        _issue(ctx, ['faults', i, 'target'], unknownName(target, [DRIVER]));
      }
    }
    // A field the fault does not use would be silently ignored: say so instead.
    if (kind !== undefined && fault?.['count'] !== undefined && !COUNTED_FAULTS.includes(kind)) {
      _issue(
        ctx,
        ['faults', i, 'count'],
        `a ${kind} fault has no count (count applies to ${COUNTED_FAULTS.join(' and ')})`,
        true,
      );
    }
    if (kind !== undefined && fault?.['duration'] !== undefined && !TIMED_FAULTS.includes(kind)) {
      _issue(
        ctx,
        ['faults', i, 'duration'],
        `a ${kind} fault has no duration (duration applies to ${TIMED_FAULTS.join(' and ')})`,
        true,
      );
    }
    const at = _num(fault?.['at']);
    if (at !== undefined && end !== undefined && at >= end) {
      _issue(
        ctx,
        ['faults', i, 'at'],
        `fault at ${_formatNs(at)} never happens: the run ends at ${_formatNs(end)} (warmup + duration)`,
      );
    }
  });

  _list(_record(root['capture'])?.['pcap']).forEach((p, i) => {
    const point = _str(p);
    if (point !== undefined && point !== WIRE && !isClient(point)) {
      _issue(ctx, ['capture', 'pcap', i], unknownName(point, [WIRE]));
    }
  });
}

// protections.rx_copier: false removes the copiers, so it needs a system that has copying ones,
// and leaves nothing for what only a copier does (copier_validation, rx_rate_limit) to act on.
function _checkProtections(root: Record<string, unknown>, ctx: _Ctx): void {
  const p = _record(root['protections']);
  if (p?.['rx_copier'] !== false) return;
  const system = _str(root['system']);
  if (!COPYING_SYSTEMS.includes(system)) {
    _issue(
      ctx,
      ['protections', 'rx_copier'],
      `system '${system}' has no copying RX copiers to remove; rx_copier: false applies to the default system, sddf-5pd and echo-server`,
    );
  }
  if (p['copier_validation'] === false) {
    _issue(
      ctx,
      ['protections', 'copier_validation'],
      'there is no copier to validate anything: rx_copier is false',
    );
  }
  _list(root['clients']).forEach((c, i) => {
    if (_record(c)?.['rx_rate_limit'] !== undefined) {
      _issue(
        ctx,
        ['clients', i, 'rx_rate_limit'],
        "rx_rate_limit is applied by the client's copier, and protections.rx_copier is false",
      );
    }
  });
}

// Checks each client on its own and against the others; returns the names in use.
function _checkClients(
  root: Record<string, unknown>,
  ctx: _Ctx,
  checkCore: (path: _Path, core: unknown) => void,
): Map<string, number> {
  const names = new Map<string, number>();
  const macs = new Map<string, number>();
  _list(root['clients']).forEach((c, i) => {
    const client = _record(c);
    if (client === undefined) return;
    const name = _str(client['name']);
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined) {
        _issue(ctx, ['clients', i, 'name'], `duplicate client name '${name}' (also clients[${first}])`);
      } else if (name === WIRE || name === DRIVER) {
        _issue(
          ctx,
          ['clients', i, 'name'],
          `'${name}' is reserved (it means the ${name}); choose another name`,
        );
      } else {
        names.set(name, i);
      }
    }
    const mac = _str(client['mac'])?.toLowerCase();
    if (mac !== undefined) {
      const first = macs.get(mac);
      if (first !== undefined) {
        _issue(ctx, ['clients', i, 'mac'], `duplicate MAC address ${mac} (also clients[${first}])`);
      } else {
        macs.set(mac, i);
      }
    }
    if (client['kind'] === 'native' && client['guest'] !== undefined) {
      _issue(ctx, ['clients', i, 'guest'], "guest options apply only to clients of kind 'vm'");
    }
    const app = _str(client['app']);
    if (app === 'source' && client['source'] === undefined) {
      _issue(
        ctx,
        ['clients', i, 'source'],
        "missing 'source' block: a client with app 'source' needs { rate: ... }",
      );
    } else if (app !== undefined && app !== 'source' && client['source'] !== undefined) {
      _issue(
        ctx,
        ['clients', i, 'source'],
        `'source' is only for app 'source', and this client's app is '${app}'`,
      );
    }
    if (app !== 'ping' && client['ping'] !== undefined) {
      _issue(
        ctx,
        ['clients', i, 'ping'],
        `'ping' is only for app 'ping', and this client's app is '${app ?? 'echo'}'`,
      );
    }
    checkCore(['clients', i, 'core'], client['core']);
  });
  // virt_tx hands every client's TX buffers to the driver through one queue, which sdfgen sizes
  // to their sum; an sDDF queue holds at most NET_QUEUE_MAX_CAPACITY.
  let txTotal = 0;
  for (const c of _list(root['clients']))
    txTotal += _num(_record(c)?.['tx_buffers']) ?? DEFAULT_CLIENT_TX_BUFFERS;
  if (txTotal > NET_QUEUE_MAX_CAPACITY) {
    _issue(
      ctx,
      ['clients'],
      `the clients' TX buffers add up to ${txTotal} (tx_buffers, ${DEFAULT_CLIENT_TX_BUFFERS} unless set), but virt_tx's queue to the driver holds them all and an sDDF queue holds at most ${NET_QUEUE_MAX_CAPACITY}: set smaller tx_buffers or use fewer clients`,
    );
  }
  return names;
}
