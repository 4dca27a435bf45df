// JSON paths exactly as the API's 422 details write them: workers.stable,
// informal_settlements[0].location.coordinates[1].

/** Split a path into keys and indices. */
export function parsePath(path) {
  const parts = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    parts.push(match[2] !== undefined ? Number(match[2]) : match[1]);
  }
  return parts;
}

/** Join keys and indices into a path. */
export function joinPath(parts) {
  return parts.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** The path one level up: "a.b[0]" -> "a.b" -> "a" -> "". */
export function parentPath(path) {
  return joinPath(parsePath(path).slice(0, -1));
}

/** The path without its indices, as texts are keyed: "a[0].b" -> "a[].b". */
export function genericPath(path) {
  return path.replace(/\[\d+\]/g, "[]");
}

export function getIn(obj, path) {
  return parsePath(path).reduce((node, key) => (node == null ? undefined : node[key]), obj);
}

/** Set a value at a path, creating objects and arrays on the way. */
export function setIn(obj, path, value) {
  const parts = parsePath(path);
  let node = obj;
  parts.slice(0, -1).forEach((key, i) => {
    if (node[key] === null || typeof node[key] !== "object") node[key] = typeof parts[i + 1] === "number" ? [] : {};
    node = node[key];
  });
  node[parts[parts.length - 1]] = value;
}

/** A JSON Pointer from ajv ("/a/0/b") as a path ("a[0].b"). */
export function fromPointer(pointer) {
  const parts = pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return joinPath(parts);
}
