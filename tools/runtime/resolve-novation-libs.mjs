const distLibs = new URL('../../dist/libs/', import.meta.url);
const LIB_SPECIFIER = /^@novation\/(money|instruments|risk|clearing|persistence|jobs|config|platform|testing)$/;

export async function resolve(specifier, context, nextResolve) {
  const match = LIB_SPECIFIER.exec(specifier);
  if (match === null) return nextResolve(specifier, context);
  return nextResolve(new URL(`${match[1]}/src/index.js`, distLibs).href, context);
}
