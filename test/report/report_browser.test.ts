// Opens the generated reports in headless Chromium and checks every plot rendered. Needs
// playwright-core (a dev dependency) and /usr/bin/chromium; without them the test is skipped.

import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, cli, ECHO1_JSON, ECHO2, scratchDir } from '../cli/cli_harness.js';

const CHROMIUM = '/usr/bin/chromium';
const PLAYWRIGHT = 'playwright-core';

function hasPlaywright(): boolean {
  try {
    createRequire(import.meta.url).resolve(PLAYWRIGHT);
    return true;
  } catch {
    return false;
  }
}

const missing = !hasPlaywright()
  ? 'playwright-core is not installed (npm install -D playwright-core)'
  : !existsSync(CHROMIUM)
    ? `${CHROMIUM} is missing (apt-get install -y chromium)`
    : null;

// The slice of playwright-core's API used here (the package may be absent at type-check time).
interface Page {
  on(event: 'console', f: (m: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', f: (e: Error) => void): void;
  goto(url: string): Promise<unknown>;
  evaluate<T>(expression: string): Promise<T>;
}
interface Context {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: {
    launchPersistentContext(
      dir: string,
      o: { executablePath: string; headless: boolean; args: string[] },
    ): Promise<Context>;
  };
}

interface PlotCheck {
  title: string;
  width: number;
  height: number;
  dataMarks: number;
  drawnMarks: number;
}

/**
 * Runs in the page (given as source text: this project is not compiled against the DOM types).
 * Per <svg>: its box, its data marks, and how many of them have a drawn extent.
 */
const INSPECT_PLOTS = `[...document.querySelectorAll('svg')].map((svg) => {
  const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll('.data')];
  return {
    title: svg.querySelector('title')?.textContent ?? '',
    width: box.width,
    height: box.height,
    dataMarks: marks.length,
    drawnMarks: marks.filter((m) => {
      const b = m.getBBox();
      return b.width > 0 || b.height > 0;
    }).length,
  };
})`;

const dir = scratchDir('sddfsim-report-');
afterAll(() => cleanup(dir));

describe.skipIf(missing !== null)(
  `reports in headless Chromium${missing === null ? '' : ` (skipped: ${missing})`}`,
  () => {
    it('render every plot of a run report and a sweep report with no console error', async () => {
      const out = join(dir, 'run');
      expect((await cli(['run', ECHO2, '--out', out])).code).toBe(0);
      const sweep = join(dir, 'sweep.html');
      const s = await cli([
        'sweep',
        ECHO1_JSON,
        '--set',
        'load[0].rate=50Mbps,100Mbps',
        '--parallel',
        '1',
        '--out',
        sweep,
      ]);
      expect(s.code, s.stderr).toBe(0);

      const pw = (await import(PLAYWRIGHT)) as Playwright;
      const ctx = await pw.chromium.launchPersistentContext(
        mkdtempSync(join(tmpdir(), 'sddfsim-chromium-')),
        {
          executablePath: CHROMIUM,
          headless: true,
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      );
      try {
        for (const [file, minPlots] of [
          [join(out, 'report.html'), 8],
          [sweep, 2],
        ] as const) {
          const page = await ctx.newPage();
          const errors: string[] = [];
          page.on('console', (m) => {
            if (m.type() === 'error') errors.push(m.text());
          });
          page.on('pageerror', (e) => errors.push(e.message));
          await page.goto(pathToFileURL(file).href);
          const plots = await page.evaluate<PlotCheck[]>(INSPECT_PLOTS);
          expect(plots.length, file).toBeGreaterThanOrEqual(minPlots);
          for (const p of plots) {
            expect(p.width * p.height, p.title).toBeGreaterThan(0);
            expect(p.dataMarks, p.title).toBeGreaterThan(0);
            // Bars of zero frames are flat, so only charts with something to show need drawn marks.
            if (!p.title.startsWith('Drops')) expect(p.drawnMarks, p.title).toBeGreaterThan(0);
          }
          expect(errors, file).toEqual([]);
        }
      } finally {
        await ctx.close();
      }
    });
  },
);
