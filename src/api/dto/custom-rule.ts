import { registerDecorator } from 'class-validator';

/** A class-validator rule from a predicate, for shapes its built-in rules cannot express. */
export function CustomRule(name: string, message: string, validate: (value: unknown) => boolean): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({ name, target: target.constructor, propertyName: propertyName as string, options: { message }, validator: { validate } });
}
