// The reference scenario family R2 measures (issue #5): n echo guests on a four-core board, two per
// core for eight, sharing an ipbench-like load evenly. One definition for the bench, the
// instruction-count tool and the tests that check the bench's figures are of the same system;
// examples/r2-eight-guests.yaml is the same eight-guest scenario written out for users.

/** Scenario text for `guests` echo guests sharing `totalMbps`, measured for `durationS` seconds. */
export function guestsEchoScenarioText(guests: number, totalMbps: number, durationS: number): string {
  // Beyond 16 guests each gets 4 MiB of RAM, so 64 of them stay within a reasonable host footprint.
  const ram = guests > 16 ? '4MiB' : '16MiB';
  const clients = Array.from(
    { length: guests },
    (_, i) => `  - { name: g${i}, kind: vm, app: echo, core: ${i % 4}, guest: { ram: ${ram} } }`,
  ).join('\n');
  const load = Array.from(
    { length: guests },
    (_, i) => `  - { to: g${i}, rate: ${totalMbps / guests}Mbps, streams: 2 }`,
  ).join('\n');
  return `name: r2-${guests}-guests\nseed: 1\nduration: ${durationS}s\nwarmup: 50ms\nboard: { cores: 4 }\nclients:\n${clients}\nload:\n${load}\n`;
}
