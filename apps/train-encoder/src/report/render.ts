import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/**
 * vega-lite → vega → SVG string, headless: the "none" renderer lays marks out without a canvas,
 * and text widths are estimated, which is fine for labels this short.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
