import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/report/result.js';
import { BAD, cleanup, cli, ECHO1_JSON, ECHO2, hasStackTrace, scratchDir } from './cli_harness.js';

const dir = scratchDir();
afterAll(() => cleanup(dir));

describe('sddfsim run', () => {
  it('prints a readable summary naming every client, PD and core', async () => {
    const r = await cli(['run', ECHO2]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('cli-echo2');
    for (const name of ['client0', 'client1', 'ethernet_driver', 'net_virt_rx', 'net_virt_tx', 'core 0']) {
      expect(r.stdout).toContain(name);
    }
    expect(r.stdout).toMatch(/NIC drops: none/);
    expect(r.stdout).toMatch(/coherence problems: none/);
    expect(r.stdout).toMatch(/faults: none/);
    // Not a TTY: no escape sequences.
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('prints only the result document on stdout with --json, and applies --seed and --duration', async () => {
    const r = await cli(['run', ECHO2, '--json', '--seed', '11', '--duration', '30ms']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as ResultDocument;
    expect(doc.seed).toBe(11);
    expect(doc.window_ns).toEqual({ start: 10e6, end: 40e6 });
    expect(doc.clients.map((c) => c.name)).toEqual(['client0', 'client1']);
    expect(doc.clients[0]!.rx_frames).toBeGreaterThan(0);
    expect(doc.trace_hash).toMatch(/^[0-9a-f]{8}$/);
  });

  it('reads JSON scenarios too', async () => {
    const r = await cli(['run', ECHO1_JSON, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as ResultDocument).scenario).toBe('cli-echo1-json');
  });

  it('writes results.json, results.csv and report.html, and refuses to overwrite them without --force', async () => {
    const out = join(dir, 'out1');
    const first = await cli(['run', ECHO2, '--out', out]);
    expect(first.code).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultDocument;
    expect(doc.scenario).toBe('cli-echo2');
    const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(
      'name,kind,app,rx_mbps,tx_mbps,rx_frames,tx_frames,rtt_mean_us,rtt_p99_us,drops_total',
    );
    expect(csv).toHaveLength(3);
    expect(csv[1]).toMatch(new RegExp(`^client0,native,echo,${doc.clients[0]!.rx_mbps},`));
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<svg');

    writeFileSync(join(out, 'results.csv'), 'mine');
    const again = await cli(['run', ECHO2, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
    expect(readFileSync(join(out, 'results.csv'), 'utf8')).toBe('mine');

    const forced = await cli(['run', ECHO2, '--out', out, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(out, 'results.csv'), 'utf8')).not.toBe('mine');
  });

  it('resolves relative paths against the working directory it is given', async () => {
    const r = await cli(['run', ECHO1_JSON, '--out', 'rel'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'rel', 'results.json'))).toBe(true);
  });

  it('reports every problem of a bad scenario with its position and exits 2, without a stack trace', async () => {
    const r = await cli(['run', BAD]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/bad\.yaml:3:1: duraton: unknown key 'duraton' \(did you mean 'duration'\?\)/);
    expect(r.stderr).toMatch(/bad\.yaml:10:11: load\[0\]\.rate: /);
    expect(r.stderr).toMatch(/bad\.yaml:11:9: load\[1\]\.to: no client named 'clinet1'/);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('names bad overrides by the option that set them', async () => {
    const r = await cli(['run', ECHO2, '--pcap', 'wirx', '--out', join(dir, 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--pcap wirx');
    expect(r.stderr).toContain("no client named 'wirx' (did you mean 'wire'?)");
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('treats options without their needs, unknown options and bad values as usage errors (exit 2)', async () => {
    for (const argv of [
      ['run', ECHO2, '--trace'],
      ['run', ECHO2, '--pcap', 'wire'],
      ['run', ECHO2, '--seed', 'abc'],
      ['run', ECHO2, '--duration', '-5ms'],
      ['run', ECHO2, '--bogus'],
      ['run', join(dir, 'missing.yaml')],
      ['run', ECHO2, 'extra-argument'],
      ['frobnicate'],
    ]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(hasStackTrace(r.stderr), argv.join(' ')).toBe(false);
    }
  });

  it('reports a crash inside the model as a failed run (exit 1) with its message and no stack', async () => {
    const r = await cli(['run', ECHO2], {
      simulate: () => {
        throw new Error('queue invariant broken');
      },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('queue invariant broken');
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('uses colour only on a terminal and never when NO_COLOR is set', async () => {
    const tty = await cli(['run', ECHO1_JSON], { tty: true, env: {} });
    expect(tty.stdout).toContain('\u001b[');
    const noColor = await cli(['run', ECHO1_JSON], { tty: true, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).not.toContain('\u001b[');
    // Same text once the styles are taken out.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes
    expect(tty.stdout.replace(/\u001b\[[0-9;]*m/g, '')).toBe(noColor.stdout);
  });

  it('shows progress with its speed against real time on a terminal only, and never in the results', async () => {
    const tty = await cli(['run', ECHO1_JSON, '--json'], { tty: true, env: {} });
    expect(tty.stderr).toMatch(/\r.*\d+ ms, \d+\.\d\dx real time/);
    const piped = await cli(['run', ECHO1_JSON, '--json'], { tty: false });
    expect(piped.stderr).not.toContain('real time');
    expect(
      (await cli(['run', ECHO1_JSON, '--json'], { tty: true, env: { CI: 'true' } })).stderr,
    ).not.toContain('real time');
    // The wall clock stays out of the result document: the same with and without the progress line.
    expect(tty.stdout).toBe(piped.stdout);
  });

  it('prints help for every command and exits 0', async () => {
    for (const cmd of ['run', 'validate', 'schema', 'sweep', 'merge', 'replay', 'system', 'ipbench']) {
      const r = await cli([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toContain(`Usage: sddfsim ${cmd}`);
    }
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Commands:');
  });
});
