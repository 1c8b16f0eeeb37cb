/**
 * A class whose instances make each property on first read, by its factory over the instance's
 * context, and keep it. The getters live on the prototype, made once: an instance costs two small
 * objects however many properties it has, and a request makes only the loaders and services it
 * uses.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each factory names its own context type
type Factories = Record<string, (context: any) => unknown>;

export function lazyOf<F extends Factories>(
  factories: F,
): new (context: Parameters<F[keyof F]>[0]) => {
  readonly [K in keyof F]: ReturnType<F[K]>;
} {
  type C = Parameters<F[keyof F]>[0];
  class Lazy {
    readonly made: Record<string, unknown> = {};
    constructor(readonly context: C) {}
  }
  for (const name of Object.keys(factories)) {
    Object.defineProperty(Lazy.prototype, name, {
      get(this: Lazy) {
        return (this.made[name] ??= factories[name]!(this.context));
      },
      enumerable: true,
    });
  }
  return Lazy as never;
}
