'use strict';
// NestJS 12 (and a few of its dependencies) ship as ES modules only. Node 20 loads them from
// our CommonJS build with require(esm), but jest's module system does not, so for tests their
// files are compiled to CommonJS here. `import.meta` has no CommonJS form: its uses are
// rewritten to the CommonJS equivalents first.
const { createHash } = require('node:crypto');
const ts = require('typescript');

const OPTIONS = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, allowJs: true, sourceMap: false };

function rewriteImportMeta(source) {
  return (
    source
      .replace(/import\.meta\.url/g, "require('node:url').pathToFileURL(__filename).href")
      .replace(/import\.meta\.dirname/g, '__dirname')
      .replace(/import\.meta\.filename/g, '__filename')
      .replace(/import\.meta\.resolve\(/g, 'require.resolve(')
      // `const require = createRequire(...)` would redeclare CommonJS's own `require`.
      .replace(/\bconst require = createRequire\(/g, 'const require$esm = createRequire(')
  );
}

module.exports = {
  process(source, filename) {
    const output = ts.transpileModule(rewriteImportMeta(source), { compilerOptions: OPTIONS, fileName: filename });
    return { code: output.outputText };
  },
  getCacheKey(source, filename) {
    return createHash('sha1').update('esm-package-transformer-1').update(filename).update(source).digest('hex');
  },
};
