// A bundler's `?raw` import (Vite's): the file's text. Only mnist-digits.browser.ts uses it.
declare module "*.json?raw" {
  const text: string;
  export default text;
}
