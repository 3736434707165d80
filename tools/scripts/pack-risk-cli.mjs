// npm run pack:risk-cli [-- --no-build]: turns the novation-risk CLI into a standalone npm package.
//
// Inside the repo the CLI runs from dist/ through a loader hook (tools/runtime/register.mjs) that maps
// `@novation/<lib>` to dist/libs/<lib>/src/index.js, and the workspace libs are not npm packages. A
// published package can rely on neither, so this script:
//   1. builds (tsc -p tsconfig.build.json) unless --no-build;
//   2. walks the static imports from dist/apps/risk-cli/src/main.js to find every compiled file it needs;
//   3. copies those files into dist/packages/risk-cli/lib/ (same layout as dist/), rewriting each
//      `@novation/<lib>` specifier into a relative path, so no loader hook is needed;
//   4. checks that every other bare import is a Node built-in or a runtime dependency of the workspace,
//      and pins those dependencies to the exact versions in package-lock.json (the versions tested here);
//   5. writes package.json, bin/, README.md and examples/, then runs `npm pack` and prints the tarball.
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
// TypeScript's own scanner finds import specifiers (static, `export ... from`, dynamic with a literal)
// with their positions, which is sturdier than a regex over the code (strings, comments, line breaks).
import ts from 'typescript';
import { build, log, workspaceRoot } from './lib/workspace.mjs';

const distRoot = path.join(workspaceRoot, 'dist');
const entry = path.join(distRoot, 'apps/risk-cli/src/main.js');
const appRoot = path.join(workspaceRoot, 'apps/risk-cli');
const packagesRoot = path.join(distRoot, 'packages');
const packageRoot = path.join(packagesRoot, 'risk-cli');
const LIB_SPECIFIER = /^@novation\/([a-z][a-z0-9-]*)$/;

/** Fails the whole script with a message that says what to fix. */
function fail(message) {
  process.stderr.write(`pack-risk-cli: ${message}\n`);
  process.exit(1);
}

/** The package a bare specifier names: `zod/v4` -> `zod`, `@scope/name/sub` -> `@scope/name`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** A relative ESM specifier (always `./` or `../`, always `/`) from the file `fromFile` to `toFile`. */
function relativeSpecifier(fromFile, toFile) {
  const relative = path.relative(path.dirname(fromFile), toFile).split(path.sep).join('/');
  return relative.startsWith('.') ? relative : `./${relative}`;
}

/**
 * The import specifiers of a compiled module, each with the offset of its first character. The
 * scanner reports `pos` at or just before the specifier (the opening quote, depending on the version),
 * so the offset is checked against the source rather than trusted.
 */
function importsOf(file, source) {
  return ts.preProcessFile(source, true, true).importedFiles.map(({ fileName, pos }) => {
    const start = [pos, pos + 1].find(
      (offset) => source.startsWith(fileName, offset) && /['"]/.test(source[offset - 1] ?? ''),
    );
    if (start === undefined) fail(`cannot locate the specifier '${fileName}' in ${file}`);
    return { specifier: fileName, start };
  });
}

if (!process.argv.includes('--no-build')) await build();
if (!existsSync(entry)) fail(`${path.relative(workspaceRoot, entry)} is missing: run npm run build first`);

// ── 2. The compiled files main.js reaches, and the npm packages they import ────────────────────────
const modules = new Map(); // absolute dist file -> { source, rewrites: [{ start, specifier, target }] }
const usedPackages = new Map(); // package name -> first file importing it (for the error message)
const pending = [entry];
while (pending.length > 0) {
  const file = pending.pop();
  if (modules.has(file)) continue;
  const source = readFileSync(file, 'utf8');
  const rewrites = [];
  for (const { specifier, start } of importsOf(file, source)) {
    const lib = LIB_SPECIFIER.exec(specifier);
    let target;
    if (lib !== null) {
      // The run-time twin of tools/runtime/resolve-novation-libs.mjs: a lib is its compiled index.js.
      target = path.join(distRoot, 'libs', lib[1], 'src/index.js');
      rewrites.push({ start, specifier, target });
    } else if (specifier.startsWith('./') || specifier.startsWith('../')) {
      target = path.resolve(path.dirname(file), specifier);
    } else if (
      specifier.startsWith('/') ||
      (/^[a-z][a-z0-9+.-]*:/i.test(specifier) && !specifier.startsWith('node:'))
    ) {
      // An absolute path or a file:/data: URL would point into this machine, not into the package.
      fail(`${path.relative(workspaceRoot, file)} imports '${specifier}': only relative and bare imports can ship`);
    } else {
      if (!isBuiltin(specifier) && !usedPackages.has(packageName(specifier))) {
        usedPackages.set(packageName(specifier), file);
      }
      continue;
    }
    if (!target.startsWith(distRoot + path.sep) || !existsSync(target)) {
      fail(`${path.relative(workspaceRoot, file)} imports '${specifier}', which is not a compiled file in dist/`);
    }
    pending.push(target);
  }
  modules.set(file, { source, rewrites });
}

// ── 4. Every npm package imported must be a runtime dependency, pinned to the tested version ─────────
const rootManifest = JSON.parse(readFileSync(path.join(workspaceRoot, 'package.json'), 'utf8'));
const lockfile = JSON.parse(readFileSync(path.join(workspaceRoot, 'package-lock.json'), 'utf8'));
const dependencies = {};
const problems = [];
for (const [name, file] of [...usedPackages].sort(([a], [b]) => a.localeCompare(b))) {
  const importer = path.relative(workspaceRoot, file);
  // A devDependency or a package that is only there transitively would be missing after `npm install`.
  if (rootManifest.dependencies?.[name] === undefined) {
    problems.push(`'${name}' (imported by ${importer}) is not in the root package.json dependencies`);
    continue;
  }
  const version = lockfile.packages?.[`node_modules/${name}`]?.version;
  if (version === undefined) {
    problems.push(`'${name}' (imported by ${importer}) has no version in package-lock.json: run npm install`);
    continue;
  }
  dependencies[name] = version;
}
if (problems.length > 0) fail(`the CLI imports packages it cannot declare:\n  - ${problems.join('\n  - ')}`);

// ── 3. Copy the reachable files, `@novation/<lib>` rewritten to relative paths ────────────────────────
rmSync(packageRoot, { recursive: true, force: true });
const libRoot = path.join(packageRoot, 'lib');
const packedFile = (distFile) => path.join(libRoot, path.relative(distRoot, distFile));
for (const [file, { source, rewrites }] of modules) {
  let output = source;
  // Right to left, so the offsets of the rewrites still to do stay valid.
  for (const { start, specifier, target } of [...rewrites].sort((a, b) => b.start - a.start)) {
    const replacement = relativeSpecifier(packedFile(file), packedFile(target));
    output = output.slice(0, start) + replacement + output.slice(start + specifier.length);
  }
  // The .js.map files point at the TypeScript sources, which do not ship; drop the dangling reference.
  output = output.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  if (output.includes('@novation/')) fail(`${path.relative(workspaceRoot, file)} still names @novation/ after rewrite`);
  mkdirSync(path.dirname(packedFile(file)), { recursive: true });
  writeFileSync(packedFile(file), output);
}

// ── 5. Manifest, bin, docs, examples, then npm pack ──────────────────────────────────────────────────
const appManifest = JSON.parse(readFileSync(path.join(appRoot, 'package.json'), 'utf8'));
const manifest = {
  name: '@novation/risk-cli',
  version: appManifest.version,
  description: appManifest.description,
  license: appManifest.license,
  // No "private": apps/risk-cli/package.json stays private (it is the workspace copy); this one publishes.
  type: 'module',
  bin: { 'novation-risk': 'bin/novation-risk.mjs' },
  engines: { node: '>=20' },
  files: ['bin', 'lib', 'examples', 'README.md'],
  dependencies,
};
writeFileSync(path.join(packageRoot, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

// The workspace bin builds and registers the loader hook; the packed one only loads the rewritten main.
const bin = path.join(packageRoot, 'bin/novation-risk.mjs');
mkdirSync(path.dirname(bin), { recursive: true });
writeFileSync(bin, "#!/usr/bin/env node\nimport '../lib/apps/risk-cli/src/main.js';\n");
chmodSync(bin, 0o755);
cpSync(path.join(appRoot, 'README.md'), path.join(packageRoot, 'README.md'));
cpSync(path.join(appRoot, 'examples'), path.join(packageRoot, 'examples'), { recursive: true });

// --json gives the tarball name and contents without parsing npm's human output.
const [packed] = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--pack-destination', packagesRoot], {
    cwd: packageRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }),
);
const tarball = path.join(packagesRoot, packed.filename);
log(
  `${packed.name}@${packed.version}: ${packed.entryCount} files, ${packed.size} bytes packed (${packed.unpackedSize} unpacked); dependencies ${JSON.stringify(dependencies)}`,
);
process.stdout.write(`${tarball}\n`);
