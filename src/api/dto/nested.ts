import { Type } from 'class-transformer';

type Class = abstract new (...args: never[]) => object;

const NESTED = new WeakMap<object, Map<string, () => Class>>();

/**
 * A property holding a nested DTO (or a list of them). One declaration serves both ways of
 * building instances: class-transformer's @Type for plainToInstance, and `instantiate` below.
 */
export function Nested(type: () => Class): PropertyDecorator {
  const typeDecorator = Type(type as never);
  return (target, property) => {
    typeDecorator(target, property);
    let map = NESTED.get(target.constructor);
    if (!map) NESTED.set(target.constructor, (map = new Map()));
    map.set(String(property), type);
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * A list item class-validator walks with no DTO (a list inside a nested list): it reads each
 * object's `constructor` to find its rules, so a body's own "constructor" key there must not
 * stand in for it — `null` made the walk throw (a 500 for a malformed body).
 */
function shielded(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shielded);
  if (isObject(value) && Object.hasOwn(value, 'constructor')) return Object.defineProperty({ ...value }, 'constructor', { value: Object, enumerable: false });
  return value;
}

/**
 * Parsed JSON as instances of `cls` and its nested DTOs, which is what class-validator checks.
 * Values are not copied or converted (unlike plainToInstance, which costs more per request than
 * validation itself): objects get the DTO's prototype over a shallow copy, nothing else.
 */
export function instantiate<T extends object>(cls: abstract new (...args: never[]) => T, plain: Record<string, unknown>): T {
  const instance = Object.assign(Object.create(cls.prototype as object) as T, plain);
  // class-validator finds an object's rules through `object.constructor`: a body's own
  // "constructor" key would hide the DTO and skip every rule. The copy keeps the DTO's.
  if (Object.hasOwn(plain, 'constructor')) Object.defineProperty(instance, 'constructor', { value: cls, enumerable: false });
  for (let proto: unknown = cls; typeof proto === 'function' && proto !== Object; proto = Object.getPrototypeOf(proto)) {
    for (const [property, type] of NESTED.get(proto) ?? []) {
      const value = plain[property];
      const nestedClass = type();
      if (Array.isArray(value)) {
        (instance as Record<string, unknown>)[property] = value.map((item) => (isObject(item) ? instantiate(nestedClass, item) : shielded(item)));
      } else if (isObject(value)) {
        (instance as Record<string, unknown>)[property] = instantiate(nestedClass, value);
      }
    }
  }
  return instance;
}
