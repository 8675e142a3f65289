/** Small HTML building blocks: a self-contained page (inline CSS, inline SVG, no scripts). */

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

export function table(header: string[], rows: (string | number)[][]): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const trs = rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join("")}</tr>`)
    .join("\n");
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

/** An SVG figure embedded inline (so the page stands alone) with a link to its file. */
export function figure(file: string, svg: string, caption: string): string {
  return (
    `<figure>${svg}<figcaption>${escapeHtml(caption)} ` +
    `(<a href="${escapeHtml(file)}">${escapeHtml(file)}</a>)</figcaption></figure>`
  );
}

const STYLE = `
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
  max-width: 1100px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.sub { color: #666; margin-top: 0; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: .6rem 1rem; min-width: 9rem; }
.card b { display: block; font-size: 1.4rem; }
.figs { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
figure { margin: 0; } figcaption { color: #666; font-size: .85rem; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
td, th { border-bottom: 1px solid #eee; padding: .25rem .8rem; text-align: right; }
th { background: #f6f6f6; } td:first-child, th:first-child { text-align: left; }
`;

export function page(title: string, subtitle: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${escapeHtml(subtitle)}</p>
${body}
</body>
</html>
`;
}

export function cards(items: [label: string, value: string][]): string {
  return `<div class="cards">${items
    .map(([l, v]) => `<div class="card">${escapeHtml(l)}<b>${escapeHtml(v)}</b></div>`)
    .join("")}</div>`;
}
