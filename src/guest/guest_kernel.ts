import type { Prng } from '../board/prng.js';
import { assert } from '../board/assert.js';
import type { GuestSoftware, VirtualCpu } from '../board/vcpu.js';
import { IN_REPLY, NetStack } from '../net/stack.js';
import { guestMemoryOver } from '../virtio/guest_memory.js';
import { type GuestCosts, guestCosts } from './costs.js';
import type { NetTx } from './net_tx.js';
import { type PingSpec, PingApp } from './ping_app.js';
import { GuestRamAllocator } from './ram_allocator.js';
import { type GuestSourceSpec, SourceApp } from './source_app.js';
import {
  DEFAULT_DRIVER_OPTIONS,
  type RxFrameSink,
  VirtioNetDriver,
  type VirtioNetDriverOptions,
} from './virtio_net_driver.js';

export type GuestApp = 'echo' | 'sink' | 'source' | 'ping';

export interface GuestKernelOptions {
  /** Guest RAM as the guest sees it (guest-physical). */
  ramGpa: number;
  ramSize: number;
  /** The virtio-net device's window and interrupt, as the device tree would give them. */
  mmioBase: number;
  virq: number;
  ip: number;
  app: GuestApp;
  source?: GuestSourceSpec | null;
  ping?: PingSpec | null;
  driver?: Partial<Omit<VirtioNetDriverOptions, 'mmioBase'>>;
  /**
   * Simulated time from the vCPU's start (or restart) to the device probe: the kernel boot before
   * virtio-net's probe runs. The vCPU idles meanwhile (no boot work is modelled, only its length).
   * 0 (the default) probes at once.
   */
  bootNs?: number;
}

/** RAM the kernel image and its own data take before the allocator starts handing out memory. */
export const GUEST_KERNEL_RESERVED = 0x10_0000;

/**
 * The Linux-like guest kernel: boot probes the virtio-net device, the virtual IRQ runs its
 * interrupt handler, the virtual timer drives the apps. Received frames go to the shared small
 * stack (ARP, ICMP echo, UDP echo on 1235 for the echo app, a UDP sink otherwise); a reply goes
 * back out through the driver. The stack and apps survive a reboot so their counters span the
 * whole run; the driver is rebuilt at every boot.
 */
export class GuestKernel implements GuestSoftware, RxFrameSink, NetTx {
  readonly cpu: VirtualCpu;
  readonly opts: GuestKernelOptions;
  readonly stack: NetStack;
  readonly source: SourceApp | null;
  readonly ping: PingApp | null;
  driver: VirtioNetDriver | null = null;
  boots = 0;
  spuriousIrqs = 0;
  timerTicks = 0;
  /** Frames offered to the driver while it was not up (before boot or after a failed probe). */
  txWhileDown = 0;
  /** Probes, and failed ones, of the drivers before the current one (every boot makes a new driver). */
  private earlierProbes = 0;
  private earlierProbeFailures = 0;
  private c!: GuestCosts;
  private readonly driverOpts: VirtioNetDriverOptions;
  private readonly periodNs: number;
  /** When the periodic timer is due next; re-armed from the previous expiry, as hrtimer_forward does. */
  private nextTickNs = 0;
  /** True from a boot with a boot time until its timer fires and the device is probed. */
  private booting = false;

  constructor(cpu: VirtualCpu, opts: GuestKernelOptions) {
    this.cpu = cpu;
    this.opts = opts;
    this.stack = new NetStack(0, opts.ip, opts.app === 'echo');
    this.driverOpts = { ...DEFAULT_DRIVER_OPTIONS, ...opts.driver, mmioBase: opts.mmioBase };
    const src = opts.app === 'source' ? (opts.source ?? null) : null;
    const ping = opts.app === 'ping' ? (opts.ping ?? null) : null;
    assert(opts.app !== 'source' || src !== null, 'a guest running the source app needs a source spec');
    assert(opts.app !== 'ping' || ping !== null, 'a guest running ping needs a ping spec');
    this.source = src === null ? null : new SourceApp(src, this);
    this.ping = ping === null ? null : new PingApp(ping, this);
    this.periodNs = src !== null ? src.tickNs : ping !== null ? ping.intervalNs : 0;
  }

  boot(): void {
    this.boots++;
    this.c = guestCosts(this.cpu.kernel.costs);
    // A reboot forgets the old kernel's driver at once; the new one exists after the boot time.
    this.retireDriver();
    const bootNs = this.opts.bootNs ?? 0;
    if (bootNs > 0) {
      this.booting = true;
      this.cpu.setTimer(this.cpu.now() + bootNs);
      return;
    }
    this.probe();
  }

  /** Device probes over the whole run, every driver instance's (a driver re-probes after DEVICE_NEEDS_RESET). */
  get probes(): number {
    return this.earlierProbes + (this.driver?.counters.probes ?? 0);
  }

  get probeFailures(): number {
    return this.earlierProbeFailures + (this.driver?.counters.probeFailures ?? 0);
  }

  private retireDriver(): void {
    const d = this.driver;
    if (d === null) return;
    this.earlierProbes += d.counters.probes;
    this.earlierProbeFailures += d.counters.probeFailures;
    this.driver = null;
  }

  /** The end of boot: the virtio-net driver probes the device; the apps' timer starts. */
  private probe(): void {
    this.booting = false;
    const o = this.opts;
    const m = this.cpu.as.find(o.ramGpa, o.ramSize);
    assert(m !== null, `${this.cpu.name}: guest RAM is not mapped at 0x${o.ramGpa.toString(16)}`);
    const start = m.regionOffset + (o.ramGpa - m.vaddr);
    const mem = guestMemoryOver(m.region.bytes.subarray(start, start + o.ramSize), o.ramGpa);
    const alloc = new GuestRamAllocator(o.ramGpa + GUEST_KERNEL_RESERVED, o.ramSize - GUEST_KERNEL_RESERVED);
    const drv = new VirtioNetDriver(this.cpu, mem, alloc, this, this.driverOpts, this.c);
    this.retireDriver();
    this.driver = drv;
    if (drv.probe()) this.stack.mac = drv.mac;
    if (this.periodNs > 0) {
      this.nextTickNs = this.cpu.now() + this.periodNs;
      this.cpu.setTimer(this.nextTickNs);
    }
  }

  /**
   * A hung guest (the guest-hang fault): alive, but it no longer handles interrupts or timers,
   * so it neither takes frames off its rings nor posts new buffers or transmits.
   */
  hung = false;
  /**
   * A malicious guest (the malformed-chain fault): before each interrupt it handles, it writes
   * garbage into its own virtqueues' descriptors and avail index, so the device side meets
   * out-of-range indices, loops, bad addresses and wrong directions.
   */
  scribbler: Prng | null = null;
  scribbles = 0;

  irq(n: number): void {
    if (this.hung) return;
    if (this.scribbler !== null) this.scribble(this.scribbler);
    const drv = this.driver;
    if (n === this.opts.virq && drv !== null) drv.interrupt();
    else this.spuriousIrqs++;
  }

  private scribble(prng: Prng): void {
    const drv = this.driver;
    if (drv === null) return;
    for (const q of [drv.rxq, drv.txq]) {
      if (q === null) continue;
      const ram = q.mem.bytes;
      const base = q.mem.gpaBase;
      for (let k = 0; k < 8; k++)
        ram[q.descGpa - base + 16 * prng.nextInt(q.num) + prng.nextInt(16)] = prng.nextU32() & 0xff;
      const idx = q.availGpa - base + 2;
      ram[idx] = (ram[idx]! + prng.nextInt(3)) & 0xff;
      this.scribbles++;
    }
  }

  softirq(): void {
    if (this.hung) return;
    this.driver?.softirq();
  }

  timer(): void {
    if (this.hung) return;
    if (this.booting) {
      this.probe();
      return;
    }
    this.cpu.charge(this.c.guest_timer);
    this.timerTicks++;
    const now = this.cpu.now();
    const s = this.stack;
    if (this.source !== null) this.source.tick(now, s.mac, s.ip);
    if (this.ping !== null) this.ping.tick(now, s.mac, s.ip);
    if (this.periodNs > 0) {
      do this.nextTickNs += this.periodNs;
      while (this.nextTickNs <= now);
      this.cpu.setTimer(this.nextTickNs);
    }
  }

  rxFrame(buf: Uint8Array, off: number, len: number): void {
    if (this.ping?.onFrame(buf, off, len, this.cpu.now())) return;
    if (this.stack.input(buf, off, len) === IN_REPLY) this.transmit(buf, off, this.stack.replyLen, true);
  }

  transmit(buf: Uint8Array, off: number, len: number, more: boolean): boolean {
    const drv = this.driver;
    if (drv === null) {
      this.txWhileDown++;
      return false;
    }
    return drv.transmit(buf, off, len, more);
  }

  flush(): void {
    this.driver?.flush();
  }

  snapshot(): Record<string, unknown> {
    return {
      boots: this.boots,
      spuriousIrqs: this.spuriousIrqs,
      timerTicks: this.timerTicks,
      stack: { ...this.stack.counters },
      driver: this.driver?.snapshot() ?? null,
      source: this.source === null ? null : { sent: this.source.sent, dropped: this.source.dropped },
      ping:
        this.ping === null
          ? null
          : { sent: this.ping.sent, replies: this.ping.replies, rttMeanNs: this.ping.rttMeanNs },
    };
  }
}
