// The shell of a self-contained HTML report: inline CSS, no scripts, no external resources.

import { escapeXml } from './svg_plot.js';

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #222; max-width: 1400px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f4f4; }
.plots { display: flex; flex-wrap: wrap; gap: 16px; }
.plots svg { border: 1px solid #eee; background: #fff; }
.note { color: #666; font-size: 12px; }
`;

export function page(title: string, body: string): string {
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${escapeXml(title)}</title>\n` +
    `<style>${CSS}</style>\n</head>\n<body>\n${body}\n</body>\n</html>\n`
  );
}

/** An HTML table; cells are escaped, numbers shown as given. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const th = header.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const tr = rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeXml(String(c))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${tr}\n</tbody>\n</table>`;
}

export function section(title: string, html: string): string {
  return `<h2>${escapeXml(title)}</h2>\n${html}`;
}

export function plots(svgs: readonly string[]): string {
  return `<div class="plots">\n${svgs.join('\n')}\n</div>`;
}
