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
.status { border-left: 4px solid #999; padding: .3rem .8rem; background: #f6f6f6; }
.status.live { border-color: #2171b5; background: #eef4fb; }
.status.stopped { border-color: #e6550d; background: #fdf0e8; }
.gallery { display: flex; flex-wrap: wrap; gap: .6rem; }
.mistake { width: 7.5rem; text-align: center; font-size: .8rem; }
.mistake img { image-rendering: pixelated; border: 1px solid #ddd; }
.mistake .name { display: block; font-size: 1.1rem; padding: .6rem 0; }
`;

/**
 * A whole page. `refreshSeconds` makes the browser reload it that often (the live report while
 * a run trains); the final page has none, so it stays put.
 */
export function page(
  title: string,
  subtitle: string,
  body: string,
  refreshSeconds?: number,
): string {
  const refresh =
    refreshSeconds === undefined
      ? ""
      : `\n<meta http-equiv="refresh" content="${Math.max(1, Math.round(refreshSeconds))}">`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">${refresh}
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
