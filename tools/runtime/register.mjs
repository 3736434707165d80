// Runs compiled Novation code: `node --import ./tools/runtime/register.mjs dist/apps/<app>/src/main.js`.
// The compiler keeps `@novation/<lib>` imports as written; this hook maps them to the compiled libs in
// dist/, the run-time twin of the `paths` in tsconfig.base.json.
import { register } from 'node:module';

register('./resolve-novation-libs.mjs', import.meta.url);
