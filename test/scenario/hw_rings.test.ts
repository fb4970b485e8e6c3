// nic.rx_ring and nic.tx_ring size the ENET's hardware descriptor rings for every driver: the
// native sDDF driver, the driver VM's Linux driver and the Linux baseline.
import { describe, expect, it } from 'vitest';
import { buildSimulation } from '../../src/scenario/build.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runSimulation } from '../../src/scenario/run.js';
import type { EthDriver, RingState } from '../../src/sddf/eth_driver.js';

function scenario(extra: string, driver = 'native', system = '', rate = 400): string {
  return `name: rings
seed: 5
duration: 30ms
warmup: 5ms
${system}nic: { rate: 1Gbps${extra} }
driver: { kind: ${driver} }
clients:
  - { name: c0, kind: native, app: echo }
load:
  - { to: c0, rate: ${rate}Mbps }
`;
}

function build(text: string) {
  const r = loadScenarioText(text, 'rings.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return buildSimulation(r.scenario);
}

describe('nic.rx_ring and nic.tx_ring', () => {
  it('size the native driver rings, and echo still works with small ones', () => {
    const sim = build(scenario(', rx_ring: 64, tx_ring: 32'));
    const doc = runSimulation(sim);
    const st = {} as RingState;
    expect((sim.net!.driver as EthDriver).ringState(st)).toBe(true);
    expect([st.rxCount, st.txCount]).toEqual([64, 32]);
    expect(doc.clients[0]!.tx_frames).toBeGreaterThan(500);
    expect(doc.invariants.violations).toEqual([]);
  });

  it('change what the NIC drops: two RX descriptors overflow where 256 do not', () => {
    const small = runSimulation(build(scenario(', rx_ring: 2', 'native', '', 957)));
    const dflt = runSimulation(build(scenario('', 'native', '', 957)));
    expect(dflt.nic['rxDropNoDescriptor']).toBe(0);
    expect(small.nic['rxDropNoDescriptor']).toBeGreaterThan(0);
  });

  it('size the driver VM and Linux baseline rings too', () => {
    const vmSim = build(scenario(', rx_ring: 1024, tx_ring: 2048', 'vm'));
    expect(vmSim.board.memory.region('net/hw_ring/rx').size).toBe(8192);
    expect(vmSim.board.memory.region('net/hw_ring/tx').size).toBe(16384);
    const vm = runSimulation(vmSim);
    expect(vm.clients[0]!.tx_frames).toBeGreaterThan(0);
    expect(vm.invariants.violations).toEqual([]);
    const linux = build(scenario(', rx_ring: 128, tx_ring: 64', 'native', 'system: linux\n'));
    expect(linux.board.memory.region('linux/fec/rx_ring').size).toBe(4096);
    expect(linux.board.memory.region('linux/fec/tx_ring').size).toBe(4096);
    expect(runSimulation(linux).clients[0]!.tx_frames).toBeGreaterThan(500);
  });
});
