// The payload of every event checked against its published JSON Schema (docs/schemas/, bundled
// in audit/schemas.js by scripts/make_schemas.py), as `ballot audit` checks it against the event
// model the schema is generated from: a payload that does not fit is `event.schema`.
//
// Only the keywords those schemas use are implemented; any other one is an error (so a schema
// that grows a keyword fails the tests here instead of being silently ignored).
import { SCHEMAS } from './schemas.js';

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'contentEncoding', 'examples']);
const KNOWN = new Set([...ANNOTATIONS, 'type', 'properties', 'additionalProperties', 'required', 'items', 'enum', 'const', 'anyOf', 'not', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', '$ref', '$defs']);
const patterns = new Map();

function regex(source) {
  let re = patterns.get(source);
  if (!re) {
    re = new RegExp(source, 'u');
    patterns.set(source, re);
  }
  return re;
}

function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value; // string, number (a float: never in a log), boolean, object
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Why `value` does not fit `schema` (null if it does); `root` resolves "#/$defs/…". */
function why(value, schema, root, path) {
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) throw new Error(`schema keyword ${key} is not supported`);
  if (schema.$ref) {
    const name = schema.$ref.startsWith('#/$defs/') ? schema.$ref.slice(8) : null;
    const target = name && root.$defs && root.$defs[name];
    if (!target) throw new Error(`unresolvable $ref ${schema.$ref}`);
    const found = why(value, target, root, path);
    if (found) return found;
  }
  if (schema.anyOf && !schema.anyOf.some((s) => why(value, s, root, path) === null)) return `${path}: fits none of its allowed forms`;
  if (schema.not && why(value, schema.not, root, path) === null) return `${path}: ${JSON.stringify(value)} is not allowed`;
  if (schema.enum && !schema.enum.some((v) => same(v, value))) return `${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`;
  if ('const' in schema && !same(schema.const, value)) return `${path}: must be ${JSON.stringify(schema.const)}`;
  if (schema.type) {
    const t = typeOf(value);
    const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!allowed.includes(t) && !(t === 'integer' && allowed.includes('number'))) return `${path}: ${t} where ${allowed.join(' or ')} belongs`;
  }
  if (typeof value === 'string') {
    const length = [...value].length; // code points, as JSON Schema counts them
    if (schema.minLength !== undefined && length < schema.minLength) return `${path}: shorter than ${schema.minLength}`;
    if (schema.maxLength !== undefined && length > schema.maxLength) return `${path}: longer than ${schema.maxLength}`;
    if (schema.pattern && !regex(schema.pattern).test(value)) return `${path}: does not match ${schema.pattern}`;
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return `${path}: below ${schema.minimum}`;
    if (schema.maximum !== undefined && value > schema.maximum) return `${path}: above ${schema.maximum}`;
  }
  if (Array.isArray(value) && schema.items) {
    for (let i = 0; i < value.length; i++) {
      const found = why(value[i], schema.items, root, `${path}[${i}]`);
      if (found) return found;
    }
  }
  if (typeOf(value) === 'object') {
    for (const name of schema.required || []) if (!(name in value)) return `${path}: ${name} is required`;
    const props = schema.properties || {};
    for (const [name, item] of Object.entries(value)) {
      const sub = props[name] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (sub === undefined) {
        if (schema.additionalProperties === false) return `${path}: unexpected field ${name}`;
        continue;
      }
      const found = why(item, sub, root, `${path}.${name}`);
      if (found) return found;
    }
  }
  return null;
}

/** Why `payload` is not a valid payload of `eventType` (null if it is). */
export function payloadProblem(eventType, payload) {
  const schema = SCHEMAS[eventType];
  if (!schema) return `unknown event type ${eventType}`;
  return why(payload, schema, schema, eventType);
}
