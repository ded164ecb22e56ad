// The key tree a declared interface gives an object, read from a .d.ts with
// the TypeScript compiler, and the key tree of a real object, so a test can
// hold what the library returns against what its declarations promise.

import ts from 'typescript';

// { key: true } for a leaf, { key: { ... } } for a nested object; null and
// undefined are looked through (`LeaderStats | null` is LeaderStats's tree).
export function declaredShape(dtsFile, interfaceName) {
  const program = ts.createProgram([dtsFile], { strict: true, noEmit: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(dtsFile);
  const decl = source.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === interfaceName);
  if (!decl) throw new Error(`${interfaceName} is not declared in ${dtsFile}`);
  const tree = (type) => {
    const shape = {};
    for (const prop of checker.getPropertiesOfType(type)) {
      const t = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(prop, decl));
      const nested = (t.flags & ts.TypeFlags.Object) !== 0 && !checker.isArrayType(t) && t.getCallSignatures().length === 0;
      shape[prop.name] = nested ? tree(t) : true;
    }
    return shape;
  };
  return tree(checker.getDeclaredTypeOfSymbol(checker.getSymbolAtLocation(decl.name)));
}

export function actualShape(value) {
  const shape = {};
  for (const [key, v] of Object.entries(value)) {
    shape[key] = v !== null && typeof v === 'object' && !Array.isArray(v) ? actualShape(v) : true;
  }
  return shape;
}
