import { registerDecorator, ValidationOptions } from 'class-validator';

/** A string, or a list of at most `max` strings (OpenAI's `stop`). */
export function IsStringOrStringList(max: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isStringOrStringList',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' || (Array.isArray(value) && value.length <= max && value.every((v) => typeof v === 'string')),
      },
    });
}
