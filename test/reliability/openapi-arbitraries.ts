/**
 * fast-check arbitraries for the OpenAPI fuzz suite: a value that fits a JSON schema of
 * the document (most of the time), bent the way an attacker bends input — wrong types,
 * huge and negative numbers, unicode and lone surrogates, deep nesting, `__proto__` and
 * `constructor` keys — and the same for the strings that go into paths and queries.
 */
import fc from 'fast-check';

/** The subset of JSON Schema the document uses. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  patternProperties?: Record<string, Schema>;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
}

export type Resolve = (ref: string) => Schema;

/** Strings that break naive code: surrogates, controls, directionality, traversal, injection. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  // Lone surrogates (invalid UTF-16) are the likeliest to pass a schema and break a store.
  { weight: 3, arbitrary: fc.constantFrom('\ud800', '\udfff', 'a\ud800b', '\udc00\ud800', 'x\udbff') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '\u0000',
      'nul\u0000byte',
      '\u202eevil',
      '\ufeff',
      '\u200b',
      '💥🧨',
      'é'.normalize('NFD'),
      '../../etc/passwd',
      '%00',
      '%zz',
      '%',
      '{"a":1}',
      "'; DROP TABLE jobs; --",
      '{queue}',
      '*',
      '\r\nX-Injected: 1',
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      ' ',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 65, max: 70_000 }).map((n) => 'x'.repeat(n)) },
);

export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    -1,
    0,
    -0,
    0.5,
    -0.5,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER + 2,
    -(2 ** 53),
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 64,
    5e-324,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Arrays or objects nested `depth` deep (JSON.parse and every JSON consumer must cope). */
export const deepJson: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 50, max: 3_000 }), fc.boolean())
  .map(([depth, objects]) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = objects ? { a: value } : [value];
    return value;
  });

/** An object whose own keys are prototype names (JSON.parse makes `__proto__` an own key). */
export const prototypeKeys: fc.Arbitrary<unknown> = fc
  .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.constantFrom('polluted', 'toString'))
  .map(([outer, inner]) => JSON.parse(`{"${outer}":{"${inner}":"yes"},"queue":"demo"}`));

export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deepJson },
  { weight: 1, arbitrary: prototypeKeys },
  { weight: 1, arbitrary: nastyString },
  { weight: 1, arbitrary: nastyNumber },
);

/** A wrong-typed stand-in for any value. */
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, [], {}, '', 0, '1', [1], { a: 1 }),
  nastyString,
  nastyNumber,
);

/** What replaces one part of a fitting value: of its own type but hostile, or of another type. */
const hostileFor = (current: unknown): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: typeof current === 'string' ? 6 : 1, arbitrary: nastyString },
    { weight: typeof current === 'number' ? 6 : 1, arbitrary: nastyNumber },
    { weight: 2, arbitrary: wrongType },
    { weight: 1, arbitrary: deepJson },
    { weight: 1, arbitrary: prototypeKeys },
  );

function pick(schema: Schema, resolve: Resolve): Schema {
  return schema.$ref ? pick(resolve(schema.$ref), resolve) : schema;
}

type Path = Array<string | number>;

/** Every place in a JSON value (the root included), up to a bound. */
function placesIn(value: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (out.length > 200 || value === null || typeof value !== 'object') return out;
  for (const [key, child] of Object.entries(value))
    placesIn(child, [...at, Array.isArray(value) ? Number(key) : key], out);
  return out;
}

function readAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], value);
}

function writeAt(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const parent = readAt(value, path.slice(0, -1)) as Record<string | number, unknown>;
  Object.defineProperty(parent, path.at(-1)!, {
    value: replacement,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return value;
}

/** One change an attacker makes to a fitting value: replace a part, add a key, drop a key. */
const mutation = fc.tuple(
  fc.nat(),
  fc.constantFrom('replace', 'replace', 'replace', 'add', 'drop'),
  fc.constantFrom('extra', '__proto__', 'constructor', ''),
  fc.integer({ min: 0, max: 2 ** 31 - 1 }),
);

/**
 * A value for `schema`: one that fits it, then (one time in two) bent in one to three
 * places, so most requests reach the handlers and every part gets hostile input.
 */
export function valueFor(raw: Schema, resolve: Resolve, known: Known = {}): fc.Arbitrary<unknown> {
  return fittingValue(pick(raw, resolve), resolve, 0, known).chain((fitting) => {
    const copy = () => JSON.parse(JSON.stringify(fitting) ?? 'null') as unknown;
    return fc.oneof(
      { weight: 1, arbitrary: fc.constant(copy()) },
      {
        weight: 1,
        arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).chain((changes) => {
          let value = copy();
          const replaced: fc.Arbitrary<unknown>[] = [];
          const targets: Path[] = [];
          for (const [index, kind, key] of changes) {
            const places = placesIn(value);
            const place = places[index % places.length]!;
            const node = readAt(value, place);
            if (kind === 'add' && node && typeof node === 'object' && !Array.isArray(node)) {
              targets.push([...place, key]);
              replaced.push(anyJson);
            } else if (kind === 'drop' && place.length > 0) {
              const parent = readAt(value, place.slice(0, -1));
              if (parent && typeof parent === 'object' && !Array.isArray(parent))
                delete (parent as Record<string, unknown>)[place.at(-1)!];
              value = value ?? null;
            } else {
              targets.push(place);
              replaced.push(hostileFor(node));
            }
          }
          return fc.tuple(...replaced).map((parts) => {
            let out = JSON.parse(JSON.stringify(value) ?? 'null') as unknown;
            parts.forEach((part, i) => {
              const target = targets[i]!;
              const parent = readAt(out, target.slice(0, -1));
              if (target.length === 0 || (parent !== null && typeof parent === 'object'))
                out = writeAt(out, target, part);
            });
            return out;
          });
        }),
      },
    );
  });
}

/** Real values (job ids, queue names, lease tokens…) by property or parameter name. */
export type Known = Record<string, string[]>;

function fittingValue(schema: Schema, resolve: Resolve, depth: number, known: Known): fc.Arbitrary<unknown> {
  const fitOf = (s: Schema) => fittingValue(pick(s, resolve), resolve, depth + 1, known);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const union = schema.anyOf ?? schema.oneOf;
  if (union?.length) return fc.oneof(...union.map(fitOf));
  if (schema.allOf?.length) return fitOf(schema.allOf[0]!);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = Object.entries(schema.properties ?? {});
      const [keyPattern, valueSchema] = Object.entries(schema.patternProperties ?? {})[0] ?? [];
      if (keyPattern && valueSchema)
        return fc.dictionary(fc.stringMatching(new RegExp(keyPattern)), fitOf(valueSchema), { maxKeys: 4 });
      if (properties.length === 0 && typeof schema.additionalProperties === 'object')
        return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fitOf(schema.additionalProperties), {
          maxKeys: 4,
        });
      if (properties.length === 0 || depth > 6)
        return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
      const required = new Set(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, property] of properties) {
        const real = known[name] ?? [];
        const value = real.length
          ? fc.oneof(
              { weight: 2, arbitrary: fc.constantFrom(...real) },
              { weight: 1, arbitrary: fitOf(property) },
            )
          : fitOf(property);
        // An optional property is sent one time in three (fields that exclude each other rarely meet).
        record[name] = required.has(name)
          ? value
          : fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value });
      }
      return fc
        .record(record)
        .map((value) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)));
    }
    case 'array': {
      const minLength = Math.min(schema.minItems ?? 0, 5);
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 5, 5));
      return fc.oneof(
        {
          weight: 12,
          arbitrary: fc.array(schema.items ? fitOf(schema.items) : anyJson, { minLength, maxLength }),
        },
        // Past the bound: one more item than the schema allows.
        {
          weight: 1,
          arbitrary: fc
            .constant(null)
            .map(() => Array.from({ length: (schema.maxItems ?? 1000) + 1 }, () => ({}))),
        },
      );
    }
    case 'string':
      return fittingString(schema);
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? -1_000_000;
      const max = schema.maximum ?? 1_000_000;
      return fc.oneof(
        {
          weight: 4,
          arbitrary: type === 'integer' ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true }),
        },
        { weight: 1, arbitrary: fc.constantFrom(min, max, min - 1, max + 1) },
      );
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return anyJson;
  }
}

function fittingString(schema: Schema): fc.Arbitrary<string> {
  if (schema.format === 'date-time')
    return fc
      .date({ min: new Date(0), max: new Date(Date.UTC(9999, 0)), noInvalidDate: true })
      .map((date) => date.toISOString());
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
  return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 30, 30) });
}

/** A string for a path, query or header parameter: fitting three times in four. */
export function stringFor(schema: Schema): fc.Arbitrary<string> {
  return fc.oneof({ weight: 3, arbitrary: fittingString(schema) }, { weight: 1, arbitrary: nastyString });
}

/** A string for a URL: well-formed percent-encoding mostly, broken encodings sometimes. */
export function urlPiece(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    // Lone surrogates cannot be encoded as UTF-8: send their CESU-8 bytes, which are invalid UTF-8.
    return [...value]
      .map((ch) => {
        const code = ch.charCodeAt(0);
        if (code < 0xd800 || code > 0xdfff) return encodeURIComponent(ch);
        return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
          .map((byte) => `%${byte.toString(16).toUpperCase()}`)
          .join('');
      })
      .join('');
  }
}
