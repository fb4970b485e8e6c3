import { faultProblems } from './faults.js';
import type { FieldProblem, PathSegment } from './problems.js';
import type { Scenario } from './schema.js';

/**
 * What the loader checks after the schema, on the parsed scenario (defaults filled in): faults
 * aimed at something that cannot take them, and options the chosen system has no component to
 * carry out. The loader reports these like schema problems, with the field's position, so
 * `validate` and `run` agree; buildSimulation checks them again for scenarios built in code.
 */
export function consistencyProblems(s: Scenario): FieldProblem[] {
  const out: FieldProblem[] = faultProblems(s);
  const add = (path: PathSegment[], message: string) => out.push({ path, message });

  s.clients.forEach((c, i) => {
    if (c.app === 'ping' && c.kind !== 'vm') {
      add(['clients', i, 'app'], "ping runs in a guest (the Linux-like guest's ping): use kind 'vm'");
    }
    if (c.source !== undefined && c.source.to !== 'wire') {
      add(
        ['clients', i, 'source', 'to'],
        "sources can only send to 'wire' (no switch between clients is modelled)",
      );
    }
  });

  if (s.system === 'linux') {
    if (s.driver.kind === 'vm') {
      add(['driver', 'kind'], "system 'linux' has its own driver: driver.kind vm needs an sDDF system");
    }
    const c = s.clients[0]!;
    if (s.clients.length !== 1 || c.app !== 'echo' || c.kind !== 'native') {
      add(['clients'], "system 'linux' runs exactly one native echo client (the echo program)");
    }
    s.clients.forEach((x, i) => {
      for (const k of ['rate_limit', 'rx_rate_limit'] as const) {
        if (x[k] !== undefined)
          add(['clients', i, k], `system 'linux' has no sDDF virtualisers to apply ${k}`);
      }
    });
    return out;
  }

  // sddf-2pd is the driver and one client, nothing between them (src/sddf/system.ts, 'direct').
  if (s.system === 'sddf-2pd' && s.clients.length !== 1) {
    add(['clients'], "system 'sddf-2pd' has exactly one client, connected to the driver directly");
  }
  // Without copiers (sddf-2pd, sddf-4pd, or rx_copier off) nothing applies a receive limit.
  const copiers = s.system !== 'sddf-2pd' && s.system !== 'sddf-4pd' && s.protections.rx_copier;
  s.clients.forEach((c, i) => {
    if (c.rate_limit !== undefined && s.system === 'sddf-2pd') {
      add(['clients', i, 'rate_limit'], "rate_limit is applied by virt_tx, which system 'sddf-2pd' has not");
    }
    if (c.rx_rate_limit !== undefined && !copiers) {
      add(
        ['clients', i, 'rx_rate_limit'],
        `rx_rate_limit is applied by the client's copier, which ${s.system !== undefined ? `system '${s.system}'` : 'a system without rx_copier'} has not`,
      );
    }
  });
  return out;
}
