import { MICROKIT_MAX_CHANNELS } from '../board/pd.js';
// The composed system as a Microkit .system document (element and attribute names from the
// Microkit manual): protection domains with their scheduling, maps, IRQs and child VMs; memory
// regions; channels. Everything is read from the built Simulation, so the document describes
// exactly what the simulator runs.
//
// Conventions where the model and Microkit differ:
// - A thread without an MCS limit is written with Microkit's default budget = period = 1000 us
//   (a full share of the core).
// - program_image names are derived from the component's class (EthDriver -> eth_driver.elf):
//   the simulator has no ELF files.
// - A map of part of a region (the model allows an offset) gets an XML comment, since a Microkit
//   map always covers the whole region.

import { type AddressSpace, permString } from '../board/address_space.js';
import type { Kernel } from '../board/kernel.js';
import type { Region } from '../board/memory.js';
import { ProtectionDomain } from '../board/pd.js';
import type { Thread } from '../board/thread.js';
import { VirtualCpu } from '../board/vcpu.js';
import type { Simulation } from '../scenario/build.js';
import { escapeXml } from '../report/svg_plot.js';

const DEFAULT_BUDGET_US = 1000;

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function attr(name: string, value: string | number): string {
  return ` ${name}="${escapeXml(String(value))}"`;
}

/** XML comments may not contain '--'. */
function comment(text: string): string {
  return `<!-- ${escapeXml(text).replace(/--/g, '- -')} -->`;
}

function usOf(cycles: number, ghz: number): number {
  return Math.round(cycles / ghz / 1000);
}

function sched(t: Thread, ghz: number): string {
  const limited = Number.isFinite(t.budgetCycles);
  const budget = limited ? usOf(t.budgetCycles, ghz) : DEFAULT_BUDGET_US;
  const period = limited ? usOf(t.periodCycles, ghz) : DEFAULT_BUDGET_US;
  return attr('priority', t.priority) + attr('budget', budget) + attr('period', period);
}

function snake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

function maps(as: AddressSpace, indent: string): string[] {
  const out: string[] = [];
  for (const m of as.mappings) {
    if (m.regionOffset !== 0 || m.size !== m.region.size) {
      out.push(
        `${indent}${comment(`maps ${hex(m.size)} bytes at offset ${hex(m.regionOffset)} of ${m.region.name}`)}`,
      );
    }
    out.push(
      `${indent}<map${attr('mr', m.region.name)}${attr('vaddr', hex(m.vaddr))}${attr('perms', permString(m.perms))}${attr('cached', m.cached ? 'true' : 'false')}/>`,
    );
  }
  return out;
}

function pdElement(pd: ProtectionDomain, kernel: Kernel, indent: string): string[] {
  const ghz = kernel.ghz;
  const out: string[] = [];
  let head = `${indent}<protection_domain${attr('name', pd.name)}`;
  if (pd.parent !== null) head += attr('id', pd.childId);
  head += sched(pd, ghz) + attr('cpu', pd.core);
  if (pd.passive) head += attr('passive', 'true');
  out.push(`${head}>`);
  const inner = `${indent}  `;
  out.push(`${inner}<program_image${attr('path', `${snake(pd.constructor.name)}.elf`)}/>`);
  out.push(...maps(pd.as, inner));
  for (let ch = 0; ch < pd.chanIrq.length; ch++) {
    const irq = pd.chanIrq[ch]!;
    if (irq >= 0) out.push(`${inner}<irq${attr('irq', irq)}${attr('id', ch)}/>`);
  }
  const vcpus = kernel.threads.filter((t): t is VirtualCpu => t instanceof VirtualCpu && t.vmm === pd);
  if (vcpus.length > 0) {
    // Microkit allows one virtual_machine per PD; its vCPUs share the guest's address space.
    const vm = vcpus[0]!;
    out.push(`${inner}<virtual_machine${attr('name', vm.name)}${sched(vm, ghz)}>`);
    for (const v of vcpus) out.push(`${inner}  <vcpu${attr('id', v.vcpuId)}${attr('cpu', v.core)}/>`);
    out.push(...maps(vm.as, `${inner}  `));
    out.push(`${inner}</virtual_machine>`);
  }
  for (const t of kernel.threads) {
    if (t instanceof ProtectionDomain && t.parent === pd) out.push(...pdElement(t, kernel, inner));
  }
  out.push(`${indent}</protection_domain>`);
  return out;
}

function regionElement(r: Region): string {
  let s = `  <memory_region${attr('name', r.name)}${attr('size', hex(r.size))}`;
  // Device registers and DMA buffers live at fixed physical addresses; plain RAM may go anywhere.
  if (r.device !== null || r.dmaCapable) s += attr('phys_addr', hex(r.paddr));
  return `${s}/>`;
}

export function microkitSystemXml(sim: Simulation): string {
  const kernel = sim.board.kernel;
  const pds = kernel.threads.filter((t): t is ProtectionDomain => t instanceof ProtectionDomain);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(comment(`sddfsim: scenario ${sim.scenario.name}`));
  out.push('<system>');
  for (const r of sim.board.memory.regions) out.push(regionElement(r));
  for (const pd of pds) if (pd.parent === null) out.push(...pdElement(pd, kernel, '  '));
  for (const pd of pds) {
    for (let ch = 0; ch < pd.chanPeer.length; ch++) {
      const peerId = pd.chanPeer[ch]!;
      if (peerId < 0) continue;
      const peer = kernel.threads[peerId];
      // Each channel is seen from both ends; write it once, from the end with the lower id.
      if (!(peer instanceof ProtectionDomain) || peer.id < pd.id) continue;
      const peerCh = pd.chanPeerCh[ch]!;
      if (peer.id === pd.id && peerCh < ch) continue;
      out.push(
        `  <channel><end${attr('pd', pd.name)}${attr('id', ch)}/><end${attr('pd', peer.name)}${attr('id', peerCh)}/></channel>`,
      );
    }
  }
  out.push('</system>');
  return `${out.join('\n')}\n`;
}

/**
 * What a real Microkit image could not hold: sddfsim lifts Microkit's limits of 63 protection
 * domains and 63 channel ids (plus IRQs) per PD, so a composed system may exceed them.
 */
export function microkitLimitWarnings(sim: Simulation): string[] {
  const out: string[] = [];
  const pds = sim.board.kernel.threads.filter((t): t is ProtectionDomain => t instanceof ProtectionDomain);
  if (pds.length > MICROKIT_MAX_PDS) {
    out.push(`${pds.length} protection domains: Microkit allows at most ${MICROKIT_MAX_PDS}`);
  }
  for (const pd of pds) {
    let used = 0;
    for (let ch = 0; ch < pd.chanPeer.length; ch++)
      if (pd.chanPeer[ch] !== -1 || pd.chanIrq[ch] !== -1) used++;
    let highest = -1;
    for (let ch = 0; ch < pd.chanPeer.length; ch++)
      if (pd.chanPeer[ch] !== -1 || pd.chanIrq[ch] !== -1) highest = ch;
    if (highest >= MICROKIT_MAX_CHANNELS) {
      out.push(
        `${pd.name} uses channel ids up to ${highest} (${used} channels): Microkit allows ids 0..${MICROKIT_MAX_CHANNELS - 1}`,
      );
    }
  }
  return out;
}

const MICROKIT_MAX_PDS = 63;
