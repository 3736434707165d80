// Jest transform for the few ES-module-only packages that CommonJS dependencies require() (today:
// content-disposition, required by @fastify/static, which Swagger UI and GraphiQL use). Jest on Node 20
// cannot require() an ES module, so these files are compiled to CommonJS with TypeScript.
const ts = require('typescript');

module.exports = {
  process(sourceText, sourcePath) {
    const { outputText } = ts.transpileModule(sourceText, {
      fileName: sourcePath,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    return { code: outputText };
  },
  getCacheKey(sourceText, sourcePath) {
    return require('node:crypto')
      .createHash('sha256')
      .update(`esm-to-commonjs:v1:${sourcePath}:${sourceText}`)
      .digest('hex');
  },
};
