// Read the response document's JSON Schema (generated from the app's OpenAPI at build time):
// which values an enum allows, whether a number is an integer, which keys an object has.

/** Follow $refs, and step past "or null" to the schema of a value that is present. */
export function resolve(schema, node) {
  let current = node;
  for (;;) {
    if (current?.$ref) current = schema.$defs[current.$ref.replace("#/$defs/", "")];
    else if (current?.anyOf) {
      const present = current.anyOf.filter((option) => option.type !== "null");
      if (present.length !== 1) return current;
      current = present[0];
    } else if (current?.oneOf) {
      // A location: the page writes points.
      current = current.oneOf.map((o) => resolve(schema, o)).find((o) => o.properties?.type?.const === "Point");
    } else return current;
  }
}

/** The schema of the value at a path (keys and indices). */
export function schemaAt(schema, parts) {
  let node = resolve(schema, schema);
  for (const key of parts) {
    if (!node) return undefined;
    if (typeof key === "number") node = resolve(schema, node.prefixItems?.[key] ?? node.items);
    else node = resolve(schema, node.properties?.[key]);
  }
  return node;
}
