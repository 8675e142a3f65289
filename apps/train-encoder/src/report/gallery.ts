import type { Dataset } from "../data/dataset.js";
import type { MnistSplit } from "../data/mnist.js";
import type { NamesSplit } from "../data/names.js";
import type { Mistake } from "../metrics.js";
import { escapeHtml } from "./html.js";
import { encodeGrayPng, pngDataUrl } from "./png.js";

const SIDE = 28;

/** What a test example looks like in the gallery: a digit's picture, or the name itself. */
function exhibit(data: Dataset, index: number): string | null {
  if (index < 0 || index >= data.test.n) return null;
  if (data.name === "mnist") {
    const pixels = (data.test as MnistSplit).pixels;
    const digit = pixels.subarray(index * SIDE * SIDE, (index + 1) * SIDE * SIDE);
    const png = encodeGrayPng(digit, SIDE, SIDE, true);
    return `<img src="${pngDataUrl(png)}" width="56" height="56" alt="test digit #${index}">`;
  }
  const name = (data.test as NamesSplit).names[index];
  return name === undefined ? null : `<span class="name">${escapeHtml(name)}</span>`;
}

const pct = (p: number) => `${(p * 100).toFixed(0)}%`;

/**
 * The misclassified test examples of an epoch, worst first, each with what the model predicted
 * (and how sure it was) and the true label. Examples the data no longer has (a log from another
 * `--limit`) are left out rather than drawn wrong.
 */
export function galleryHtml(mistakes: Mistake[], data: Dataset, classNames: string[]): string {
  const items = mistakes.flatMap((m) => {
    const shown = exhibit(data, m.index);
    if (shown === null) return [];
    const predicted = escapeHtml(classNames[m.predicted] ?? String(m.predicted));
    const actual = escapeHtml(classNames[m.actual] ?? String(m.actual));
    return [
      `<figure class="mistake">${shown}<figcaption>#${m.index}<br>` +
        `predicted <b>${predicted}</b> ${pct(m.pPredicted)}<br>` +
        `true <b>${actual}</b> ${pct(m.pActual)}</figcaption></figure>`,
    ];
  });
  if (items.length === 0) return "";
  return `<div class="gallery">${items.join("\n")}</div>`;
}
