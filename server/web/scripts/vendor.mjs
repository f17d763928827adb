// Copies the dashboard's front-end dependencies from node_modules into the
// embedded assets (static/assets/vendor/), so `go build` needs no npm.
// Run after changing package.json: `npm ci && npm run vendor`, then commit
// static/assets/vendor/.
//
// xterm.js 6 is patched on the way for the dashboard's strict CSP
// (style-src 'self', no 'unsafe-inline'):
//   - its DOM renderer and viewport create <style> elements and set their
//     text, which CSP blocks. Each `doc.createElement("style")` is replaced by
//     a carrier element whose text goes into a constructable stylesheet
//     adopted by the document (CSSOM, which CSP does not restrict);
//   - its row factory sets truecolor cells with setAttribute("style", ...),
//     which CSP blocks too; that becomes element.style.cssText (CSSOM).
// The script fails unless every patch site is found exactly as expected, so
// an xterm upgrade that moves them cannot silently reintroduce violations.
import { readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nm = join(root, 'node_modules');
const out = join(root, 'static', 'assets', 'vendor');
mkdirSync(out, { recursive: true });

const pkg = (name) => JSON.parse(readFileSync(join(nm, name, 'package.json'), 'utf8'));
const stripMap = (s) => s.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');

function replaceExactly(src, re, to, want, what) {
  const n = (src.match(re) || []).length;
  if (n !== want) {
    throw new Error(`vendor: expected ${want} ${what} in xterm.mjs, found ${n}; review the CSP patch`);
  }
  return src.replace(re, to);
}

const shim = `// Steward CSP shim (server/web/scripts/vendor.mjs): xterm's <style>
// elements become constructable stylesheets adopted by the document.
function __stwStyle(doc) {
  const el = doc.createElement('stw-xterm-css');
  el.hidden = true;
  const sheet = new doc.defaultView.CSSStyleSheet();
  let text = '';
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
  Object.defineProperty(el, 'textContent', {
    get() { return text; },
    set(v) { text = String(v ?? ''); sheet.replaceSync(text); },
  });
  const remove = el.remove.bind(el);
  el.remove = () => {
    doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s !== sheet);
    remove();
  };
  return el;
}
`;

let xterm = readFileSync(join(nm, '@xterm/xterm/lib/xterm.mjs'), 'utf8');
xterm = replaceExactly(xterm, /([\w$.]+)\.createElement\("style"\)/g, '__stwStyle($1)', 3, '<style> creations');
xterm = replaceExactly(xterm,
  /_addStyle\((\w),(\w)\)\{\1\.setAttribute\("style",`\$\{\1\.getAttribute\("style"\)\|\|""\}\$\{\2\};`\)\}/g,
  '_addStyle($1,$2){$1.style.cssText+=$2+";"}', 1, '_addStyle definitions');
for (const bad of ['setAttribute("style"', 'innerHTML', 'insertAdjacentHTML', 'document.write']) {
  if (xterm.includes(bad)) throw new Error(`vendor: xterm.mjs still uses ${bad}`);
}
const header = (name) => `/* ${name} ${pkg(name).version} (MIT), vendored by server/web/scripts/vendor.mjs */\n`;
writeFileSync(join(out, 'xterm.mjs'), header('@xterm/xterm') + shim + stripMap(xterm));
writeFileSync(join(out, 'xterm.css'), header('@xterm/xterm') + readFileSync(join(nm, '@xterm/xterm/css/xterm.css'), 'utf8'));
writeFileSync(join(out, 'addon-fit.mjs'),
  header('@xterm/addon-fit') + stripMap(readFileSync(join(nm, '@xterm/addon-fit/lib/addon-fit.mjs'), 'utf8')));
copyFileSync(join(nm, '@xterm/xterm/LICENSE'), join(out, 'xterm-LICENSE.txt'));
copyFileSync(join(nm, '@xterm/addon-fit/LICENSE'), join(out, 'addon-fit-LICENSE.txt'));
console.log(`vendored @xterm/xterm ${pkg('@xterm/xterm').version} and @xterm/addon-fit ${pkg('@xterm/addon-fit').version} into ${out}`);
