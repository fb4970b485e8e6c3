import { z } from 'zod';

/**
 * The cost model: every operation the simulation charges, in CPU cycles (or
 * nanoseconds where the name says so). A named preset gives each entry a value and
 * says where it comes from; a scenario may override any entry by name.
 *
 * Sources: "calib" = ../shared/calibration/imx8mm-single-core.md (the sDDF design
 * report's measurements on an i.MX8M Mini, Cortex-A53 at 1.8 GHz); "fitted: <table>"
 * = chosen so the model reproduces that table (see docs/calibration.md); "datasheet"
 * = a hardware fact.
 */
export interface CostEntry {
  readonly value: number;
  readonly source: string;
}

const imx8mmTable = {
  cpu_ghz: { value: 1.8, source: 'datasheet: Cortex-A53 at 1.8 GHz (calib "Set-up")' },

  // seL4 kernel (single-core kernel unless board.kernel.smp)
  ctx_switch: { value: 450, source: 'calib: "context switch ... about 400-500 cycles"' },
  syscall_signal: {
    value: 150,
    source:
      'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (one seL4_Signal; at its lower bound 150)',
  },
  syscall_recv: {
    value: 150,
    source:
      'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (kernel entry of the Recv/NBSendRecv that ends an entry point; at its lower bound 150)',
  },
  irq_entry: {
    value: 1191,
    source:
      'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (IRQ exception and delivery as a notification)',
  },
  irq_ack: { value: 250, source: 'fitted: sddf-2pd table (seL4_IRQHandler_Ack syscall)' },
  ppc_call: {
    value: 900,
    source: 'fitted: order of two syscalls plus two context switches (calib context-switch figure)',
  },
  ipi: { value: 500, source: 'fitted: no multicore table; of the order of an IRQ entry' },
  ipi_latency_ns: { value: 1000, source: 'fitted: no multicore table; about one microsecond' },
  smp_syscall_factor: {
    value: 1.5,
    source: 'calib: "the SMP kernel makes syscalls about 50% more expensive"',
  },
  smp_barrier: {
    value: 150,
    source: 'fitted: calib "SMP memory barriers ... add about 15% CPU at low load and 8% at high load"',
  },
  timer_set: { value: 1200, source: 'fitted: a PPC to the timer driver plus its work' },

  // Virtualisation
  vm_exit: {
    value: 1500,
    source: 'fitted: no guest table; of the order of a fault IPC round trip to the VMM on A53',
  },
  mmio_emulate: { value: 400, source: 'fitted: no guest table; decode plus register-file update in the VMM' },
  virq_inject: { value: 700, source: 'fitted: no guest table; vGIC list-register injection syscall' },
} as const satisfies Record<string, CostEntry>;

export type CostName = keyof typeof imx8mmTable;
export type Costs = { -readonly [K in CostName]: number };

export const COST_PRESETS = { imx8mm: imx8mmTable } as const;
export type CostPresetName = keyof typeof COST_PRESETS;

export const COST_NAMES: readonly CostName[] = Object.keys(imx8mmTable) as CostName[];

/** Extra cost tables registered by higher layers (sDDF components, guests, baseline). */
const extraTables: Record<string, CostEntry>[] = [];

/**
 * Higher layers add their own per-operation entries here at module load, so the board
 * stays ignorant of what an sDDF component is while the preset remains one table.
 */
export function registerCostEntries(table: Record<string, CostEntry>): void {
  extraTables.push(table);
}

export function costTable(preset: CostPresetName = 'imx8mm'): Record<string, CostEntry> {
  const out: Record<string, CostEntry> = { ...COST_PRESETS[preset] };
  for (const t of extraTables) Object.assign(out, t);
  return out;
}

export function knownCostNames(preset: CostPresetName = 'imx8mm'): string[] {
  return Object.keys(costTable(preset));
}

const overridesSchema = z.record(z.string(), z.number().nonnegative().finite());

/**
 * Resolves a preset plus overrides into the flat table components read from. Unknown
 * names are rejected with the list of problems (the scenario loader reports them with
 * their location before this is reached; this is the last line of defence).
 */
export function resolveCosts(
  preset: CostPresetName,
  overrides: Record<string, number> = {},
): { ok: true; costs: Costs & Record<string, number> } | { ok: false; problems: string[] } {
  const parsed = overridesSchema.safeParse(overrides);
  if (!parsed.success)
    return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  const table = costTable(preset);
  const problems: string[] = [];
  const costs: Record<string, number> = {};
  for (const [k, e] of Object.entries(table)) costs[k] = e.value;
  for (const [k, v] of Object.entries(parsed.data)) {
    if (!(k in table)) problems.push(`unknown cost entry '${k}'`);
    else costs[k] = v;
  }
  if (problems.length > 0) return { ok: false, problems };
  // Seventy-odd properties added under computed names leave `costs` in V8's dictionary mode, and
  // every component reads its costs on the hot path (`this.c.copy_pkt`): a hash lookup through
  // the generic load IC each time, even in optimised code. The spread copy (same keys, same
  // order, same values) has fast properties, which optimised code loads directly.
  return { ok: true, costs: { ...costs } as Costs & Record<string, number> };
}
